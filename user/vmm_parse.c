// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vmm_parse: reading what libvirt and QEMU answer: the domain XML (into the
 * metadata hvtrace records) and QEMU's query-cpus-fast reply (vCPU threads).
 *
 * A small XML reader of its own rather than libxml2: libxml2 would be a new
 * build dependency (its headers live in /usr/include/libxml2, and libvirt-dev
 * does not pull libxml2-dev) for one document that libvirt itself wrote. It is
 * still a parser, not string matching: it builds the element tree, so that
 * what sits in <metadata> (any application's XML, possibly with its own
 * <disk> elements) or in a comment is never taken for a device. It decodes
 * the predefined and numeric entities and CDATA, skips comments, processing
 * instructions and a DOCTYPE, and rejects what is not well-formed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

#define XML_MAX_DEPTH 256

struct xnode {
	char *name;
	char **attr;		/* name, value, name, value, ... */
	size_t nattr;
	char *text;		/* character data directly inside, concatenated */
	size_t text_len;
	struct xnode *parent, *child, *last, *next;
};

struct xparser {
	const char *p;
	char *err;
	size_t errlen;
};

static int xerr(struct xparser *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Messages quote the domain's XML, which whoever defined the domain wrote: a
 * control character in them (an escape sequence) must not reach a terminal.
 * The length of the one at S (C0, DEL, or C1 as UTF-8 writes it), else 0.
 */
static size_t control_at(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x20 || u[0] == 0x7f)
		return !!u[0];
	return u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f ? 2 : 0;
}

static void printable(char *s)
{
	size_t n;

	for (; *s; s += n ? n : 1) {
		n = control_at(s);
		memset(s, '?', n);
	}
}

static int xerr(struct xparser *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	printable(x->err);
	return -EINVAL;
}

static void xnode_free(struct xnode *n)
{
	struct xnode *c, *next;
	size_t i;

	if (!n)
		return;
	for (c = n->child; c; c = next) {
		next = c->next;
		xnode_free(c);
	}
	for (i = 0; i < 2 * n->nattr; i++)
		free(n->attr[i]);
	free(n->attr);
	free(n->name);
	free(n->text);
	free(n);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_name_char(char c)
{
	return c && !is_space(c) && !strchr("<>/=!?'\"&", c);
}

static void skip_space(struct xparser *x)
{
	while (is_space(*x->p))
		x->p++;
}

static char *read_name(struct xparser *x)
{
	const char *s = x->p;

	while (is_name_char(*x->p))
		x->p++;
	return x->p > s ? strndup(s, x->p - s) : NULL;
}

static size_t put_utf8(char *out, unsigned long c)
{
	if (c < 0x80) {
		out[0] = c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = 0xc0 | (c >> 6);
		out[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	if (c < 0x10000) {
		out[0] = 0xe0 | (c >> 12);
		out[1] = 0x80 | ((c >> 6) & 0x3f);
		out[2] = 0x80 | (c & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | (c >> 18);
	out[1] = 0x80 | ((c >> 12) & 0x3f);
	out[2] = 0x80 | ((c >> 6) & 0x3f);
	out[3] = 0x80 | (c & 0x3f);
	return 4;
}

/*
 * Decodes [s, s + len) with its entity references into a new string in *ret;
 * the decoded text is never longer than the source.
 */
static int decode(struct xparser *x, const char *s, size_t len, char **ret)
{
	static const struct { const char *ent; char c; } named[] = {
		{ "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' }, { "apos;", '\'' },
		{ "quot;", '"' },
	};
	char *out = malloc(len + 1), *o = out;
	const char *end = s + len;
	size_t i;

	if (!out)
		return -ENOMEM;
	while (s < end) {
		if (*s != '&') {
			*o++ = *s++;
			continue;
		}
		s++;
		for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
			size_t n = strlen(named[i].ent);

			if ((size_t)(end - s) >= n && !strncmp(s, named[i].ent, n)) {
				*o++ = named[i].c;
				s += n;
				break;
			}
		}
		if (i < sizeof(named) / sizeof(named[0]))
			continue;
		if (*s == '#') {
			int hex = s + 1 < end && s[1] == 'x';
			unsigned long c = 0;
			const char *d = s + 1 + hex;

			for (; d < end && *d != ';'; d++) {
				int v = *d >= '0' && *d <= '9' ? *d - '0' :
					hex && *d >= 'a' && *d <= 'f' ? *d - 'a' + 10 :
					hex && *d >= 'A' && *d <= 'F' ? *d - 'A' + 10 : -1;

				if (v < 0 || c > 0x10ffff)
					break;
				c = c * (hex ? 16 : 10) + v;
			}
			if (d < end && *d == ';' && d > s + 1 + hex && c && c <= 0x10ffff) {
				o += put_utf8(o, c);	/* "&#N;" is at least as long */
				s = d + 1;
				continue;
			}
		}
		free(out);
		return xerr(x, "unknown or malformed entity reference '&%.10s'", s);
	}
	*o = '\0';
	*ret = out;
	return 0;
}

static int append_text(struct xparser *x, struct xnode *n, const char *s, size_t len, int raw)
{
	char *t = NULL, *grown;
	size_t tl;
	int ret;

	if (raw) {
		t = strndup(s, len);
		if (!t)
			return -ENOMEM;
	} else {
		ret = decode(x, s, len, &t);
		if (ret)
			return ret;
	}
	tl = strlen(t);
	grown = realloc(n->text, n->text_len + tl + 1);
	if (!grown) {
		free(t);
		return -ENOMEM;
	}
	memcpy(grown + n->text_len, t, tl + 1);
	n->text = grown;
	n->text_len += tl;
	free(t);
	return 0;
}

static int add_attr(struct xparser *x, struct xnode *n)
{
	char *name, *value = NULL, **grown;
	const char *v;
	int ret;
	char q;

	name = read_name(x);
	if (!name)
		return xerr(x, "bad attribute in <%s>", n->name);
	skip_space(x);
	if (*x->p != '=') {
		ret = xerr(x, "attribute '%s' of <%s> has no value", name, n->name);
		free(name);
		return ret;
	}
	x->p++;
	skip_space(x);
	q = *x->p;
	if (q != '\'' && q != '"') {
		free(name);
		return xerr(x, "attribute value of <%s> is not quoted", n->name);
	}
	v = ++x->p;
	while (*x->p && *x->p != q && *x->p != '<')
		x->p++;
	if (*x->p != q) {
		free(name);
		return xerr(x, "unterminated attribute value in <%s>", n->name);
	}
	ret = decode(x, v, x->p - v, &value);
	x->p++;
	grown = ret ? NULL : realloc(n->attr, (2 * n->nattr + 2) * sizeof(*grown));
	if (!grown) {
		free(name);
		free(value);
		return ret ? ret : -ENOMEM;
	}
	n->attr = grown;
	n->attr[2 * n->nattr] = name;
	n->attr[2 * n->nattr + 1] = value;
	n->nattr++;
	return 0;
}

/* Skips past the first END after the parser's position; -EINVAL if none. */
static int skip_past(struct xparser *x, const char *end, const char *what)
{
	const char *e = strstr(x->p, end);

	if (!e)
		return xerr(x, "unterminated %s", what);
	x->p = e + strlen(end);
	return 0;
}

static struct xnode *xml_parse(const char *doc, char *err, size_t errlen)
{
	struct xparser x = { .p = doc, .err = err, .errlen = errlen };
	struct xnode *root = NULL, *cur = NULL, *n;
	int depth = 0, ret = 0;

	if (!strncmp(x.p, "\xef\xbb\xbf", 3))	/* UTF-8 byte order mark */
		x.p += 3;
	while (*x.p && !ret) {
		if (*x.p != '<') {
			const char *s = x.p;

			while (*x.p && *x.p != '<')
				x.p++;
			if (cur) {
				ret = append_text(&x, cur, s, x.p - s, 0);
			} else {
				for (; s < x.p && !ret; s++)
					if (!is_space(*s))
						ret = xerr(&x, "text outside the root element");
			}
			continue;
		}
		if (!strncmp(x.p, "<?", 2)) {
			ret = skip_past(&x, "?>", "processing instruction");
		} else if (!strncmp(x.p, "<!--", 4)) {
			ret = skip_past(&x, "-->", "comment");
		} else if (!strncmp(x.p, "<![CDATA[", 9)) {
			const char *s = x.p + 9;

			if (!cur) {
				ret = xerr(&x, "CDATA outside the root element");
			} else if (!(ret = skip_past(&x, "]]>", "CDATA section"))) {
				ret = append_text(&x, cur, s, x.p - 3 - s, 1);
			}
		} else if (!strncmp(x.p, "<!", 2)) {
			/* DOCTYPE: skipped, internal subset included; no entity of it is used. */
			int brackets = 0;

			if (root) {
				ret = xerr(&x, "declaration after the root element");
				break;
			}
			for (x.p += 2; *x.p && (brackets || *x.p != '>'); x.p++)
				brackets += *x.p == '[' ? 1 : *x.p == ']' ? -1 : 0;
			if (!*x.p)
				ret = xerr(&x, "unterminated declaration");
			else
				x.p++;
		} else if (x.p[1] == '/') {
			char *name;

			x.p += 2;
			name = read_name(&x);
			skip_space(&x);
			if (!cur || !name || strcmp(name, cur->name) || *x.p != '>')
				ret = xerr(&x, "closing tag </%s> does not match <%s>",
					   name ? name : "", cur ? cur->name : "");
			free(name);
			if (!ret) {
				x.p++;
				cur = cur->parent;
				depth--;
			}
		} else {
			x.p++;
			if (root && !cur) {
				ret = xerr(&x, "more than one root element");
				break;
			}
			n = calloc(1, sizeof(*n));
			if (!n) {
				ret = -ENOMEM;
				break;
			}
			n->name = read_name(&x);
			n->parent = cur;
			if (cur) {
				if (cur->last)
					cur->last->next = n;
				else
					cur->child = n;
				cur->last = n;
			} else {
				root = n;
			}
			if (!n->name) {
				ret = xerr(&x, "bad element name");
				break;
			}
			for (;;) {
				skip_space(&x);
				if (*x.p == '>' || !strncmp(x.p, "/>", 2) || !*x.p)
					break;
				ret = add_attr(&x, n);
				if (ret)
					break;
			}
			if (ret)
				break;
			if (*x.p == '>') {
				x.p++;
				cur = n;
				if (++depth > XML_MAX_DEPTH)
					ret = xerr(&x, "elements nested deeper than %d",
						   XML_MAX_DEPTH);
			} else if (*x.p) {
				x.p += 2;
			} else {
				ret = xerr(&x, "unterminated tag <%s>", n->name);
			}
		}
	}
	if (!ret && cur)
		ret = xerr(&x, "element <%s> is not closed", cur->name);
	if (!ret && !root)
		ret = xerr(&x, "no root element");
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		xnode_free(root);
		errno = -ret;
		return NULL;
	}
	return root;
}

static struct xnode *xchild(const struct xnode *n, const char *name)
{
	struct xnode *c;

	for (c = n ? n->child : NULL; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static struct xnode *xnext(struct xnode *c, const char *name)
{
	for (c = c ? c->next : NULL; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static const char *xattr(const struct xnode *n, const char *name)
{
	size_t i;

	for (i = 0; n && i < n->nattr; i++)
		if (!strcmp(n->attr[2 * i], name))
			return n->attr[2 * i + 1];
	return NULL;
}

/* The element's text without surrounding white space, or NULL. */
static char *xtext_dup(const struct xnode *n)
{
	const char *s, *e;

	if (!n || !n->text)
		return NULL;
	for (s = n->text; is_space(*s); s++)
		;
	for (e = s + strlen(s); e > s && is_space(e[-1]); e--)
		;
	return e > s ? strndup(s, e - s) : NULL;
}

static char *sdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* libvirt's memory units (docs: formatdomain, "Memory Allocation"). */
static int mem_bytes(const struct xnode *n, uint64_t *ret)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{ "b", 1 }, { "bytes", 1 }, { "KB", 1000 }, { "k", 1024 }, { "KiB", 1024 },
		{ "MB", 1000000 }, { "M", 1 << 20 }, { "MiB", 1 << 20 },
		{ "GB", 1000000000 }, { "G", 1 << 30 }, { "GiB", 1 << 30 },
		{ "TB", 1000000000000ULL }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
	};
	const char *unit = xattr(n, "unit");
	unsigned long long v;
	char *text = xtext_dup(n), *end;
	size_t i;

	if (!text)
		return -ENOENT;
	v = strtoull(text, &end, 10);
	if (*end || end == text) {
		free(text);
		return -EINVAL;
	}
	free(text);
	if (!unit) {
		*ret = v * 1024;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(unit, units[i].unit)) {
			*ret = v * units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_int(const char *s, int dflt)
{
	char *end;
	long v;

	if (!s)
		return dflt;
	v = strtol(s, &end, 10);
	return *s && !*end && v >= 0 && v <= 1 << 20 ? (int)v : dflt;
}

static int read_devices(const struct xnode *devs, struct vmm_meta *m)
{
	struct xnode *d;
	size_t n;

	n = 0;
	for (d = xchild(devs, "disk"); d; d = xnext(d, "disk"))
		n++;
	m->disks = n ? calloc(n, sizeof(*m->disks)) : NULL;
	if (n && !m->disks)
		return -ENOMEM;
	for (d = xchild(devs, "disk"); d; d = xnext(d, "disk")) {
		struct vmm_disk *k = &m->disks[m->n_disks++];
		struct xnode *target = xchild(d, "target");

		k->target = sdup(xattr(target, "dev"));
		k->bus = sdup(xattr(target, "bus"));
		k->device = sdup(xattr(d, "device") ? xattr(d, "device") : "disk");
		k->format = sdup(xattr(xchild(d, "driver"), "type"));
	}

	n = 0;
	for (d = xchild(devs, "interface"); d; d = xnext(d, "interface"))
		n++;
	m->nics = n ? calloc(n, sizeof(*m->nics)) : NULL;
	if (n && !m->nics)
		return -ENOMEM;
	for (d = xchild(devs, "interface"); d; d = xnext(d, "interface")) {
		struct vmm_nic *k = &m->nics[m->n_nics++];

		k->model = sdup(xattr(xchild(d, "model"), "type"));
		k->type = sdup(xattr(d, "type"));
		k->target = sdup(xattr(xchild(d, "target"), "dev"));
		k->mac = sdup(xattr(xchild(d, "mac"), "address"));
	}
	m->emulator = xtext_dup(xchild(devs, "emulator"));
	return 0;
}

static char *child_names(const struct xnode *n)
{
	struct xnode *c;
	size_t len = 1;
	char *s;

	for (c = n ? n->child : NULL; c; c = c->next)
		len += strlen(c->name) + 1;
	if (len == 1)
		return NULL;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (c = n->child; c; c = c->next) {
		if (*s)
			strcat(s, " ");
		strcat(s, c->name);
	}
	return s;
}

int vmm_meta_from_xml(const char *xml, struct vmm_meta *m, char *err, size_t errlen)
{
	struct xnode *root, *vcpu, *os, *cpu, *n;
	char why[256];
	int ret;

	root = xml_parse(xml, why, sizeof(why));
	if (!root) {
		snprintf(err, errlen, "cannot read the domain XML: %s", why);
		return -errno;
	}
	if (strcmp(root->name, "domain")) {
		snprintf(err, errlen, "cannot read the domain XML: root element is <%s>, "
			 "not <domain>", root->name);
		printable(err);
		xnode_free(root);
		return -EINVAL;
	}
	m->domain_type = sdup(xattr(root, "type"));
	m->id = parse_int(xattr(root, "id"), -1);
	m->name = xtext_dup(xchild(root, "name"));
	m->uuid = xtext_dup(xchild(root, "uuid"));

	vcpu = xchild(root, "vcpu");
	if (vcpu) {
		char *t = xtext_dup(vcpu);

		m->max_vcpus = parse_int(t, 0);
		m->vcpus = parse_int(xattr(vcpu, "current"), m->max_vcpus);
		free(t);
	}
	if (mem_bytes(xchild(root, "memory"), &m->max_mem_bytes))
		m->max_mem_bytes = 0;
	if (mem_bytes(xchild(root, "currentMemory"), &m->mem_bytes))
		m->mem_bytes = m->max_mem_bytes;

	os = xchild(root, "os");
	n = xchild(os, "type");
	m->os_type = xtext_dup(n);
	m->arch = sdup(xattr(n, "arch"));
	m->machine = sdup(xattr(n, "machine"));

	cpu = xchild(root, "cpu");
	if (cpu) {
		/* A <cpu> without mode is a custom one (formatdomain: "CPU model"). */
		m->cpu_mode = sdup(xattr(cpu, "mode") ? xattr(cpu, "mode") : "custom");
		m->cpu_model = xtext_dup(xchild(cpu, "model"));
	}
	m->features = child_names(xchild(root, "features"));
	ret = read_devices(xchild(root, "devices"), m);
	xnode_free(root);
	if (ret)
		snprintf(err, errlen, "out of memory");
	return ret;
}

void vmm_meta_free(struct vmm_meta *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_disks; i++) {
		free(m->disks[i].target);
		free(m->disks[i].bus);
		free(m->disks[i].device);
		free(m->disks[i].format);
	}
	for (i = 0; i < m->n_nics; i++) {
		free(m->nics[i].model);
		free(m->nics[i].type);
		free(m->nics[i].target);
		free(m->nics[i].mac);
	}
	free(m->disks);
	free(m->nics);
	free(m->uri);
	free(m->host);
	free(m->hypervisor);
	free(m->hypervisor_version);
	free(m->libvirt_version);
	free(m->state);
	free(m->name);
	free(m->uuid);
	free(m->domain_type);
	free(m->os_type);
	free(m->arch);
	free(m->machine);
	free(m->emulator);
	free(m->cpu_mode);
	free(m->cpu_model);
	free(m->features);
	memset(m, 0, sizeof(*m));
	m->id = -1;
}

/* ---- the guest agent's channel ------------------------------------------- */

/*
 * Only <devices>' own <channel> children count: one in <metadata> or in a
 * comment is not a device. libvirt's own grammar: the channel's type is the
 * host side (unix, pty, tcp, spicevmc, ...), <source mode='bind'> means QEMU
 * listens, and the guest sees the port under <target type='virtio' name=...>.
 */
int vmm_channel_from_xml(const char *xml, const char *target, char *ret_path, size_t len,
			 char *err, size_t errlen)
{
	const char *type, *mode, *path, *s;
	struct xnode *root, *c, *src;
	char why[256];
	int ret = -ENOENT;

	root = xml_parse(xml, why, sizeof(why));
	if (!root) {
		snprintf(err, errlen, "cannot read the domain XML: %s", why);
		return -EINVAL;
	}
	if (strcmp(root->name, "domain")) {
		snprintf(err, errlen, "cannot read the domain XML: root element is <%s>, "
			 "not <domain>", root->name);
		printable(err);
		xnode_free(root);
		return -EINVAL;
	}
	for (c = xchild(xchild(root, "devices"), "channel"); c; c = xnext(c, "channel")) {
		const struct xnode *t = xchild(c, "target");

		if (!xattr(t, "type") || strcmp(xattr(t, "type"), "virtio") ||
		    !xattr(t, "name") || strcmp(xattr(t, "name"), target))
			continue;
		type = xattr(c, "type");
		src = xchild(c, "source");
		mode = xattr(src, "mode");
		path = xattr(src, "path");
		ret = -EINVAL;
		for (s = path; s && *s && !control_at(s); s++)
			;
		if (!type)
			snprintf(err, errlen, "its channel %s has no type", target);
		else if (strcmp(type, "unix"))
			snprintf(err, errlen, "its channel %s is of type '%.32s', not 'unix' (a "
				 "socket QEMU listens on)", target, type);
		else if (!mode || strcmp(mode, "bind"))
			snprintf(err, errlen, "its channel %s has <source mode='%.32s'>, not "
				 "'bind': QEMU does not listen on it", target, mode ? mode : "");
		else if (!path || !*path)
			snprintf(err, errlen, "its channel %s has no <source path>", target);
		else if (*s)
			snprintf(err, errlen, "the path of its channel %s holds a control "
				 "character", target);
		else if (*path != '/')
			snprintf(err, errlen, "its channel %s has a relative path '%.64s'", target,
				 path);
		else if (strlen(path) >= len || strlen(path) >= VMM_CHANNEL_PATH_MAX)
			snprintf(err, errlen, "the path of its channel %s is %zu bytes long; a "
				 "unix socket address holds at most %d", target, strlen(path),
				 VMM_CHANNEL_PATH_MAX - 1);
		else
			ret = 0;
		if (!ret)
			memcpy(ret_path, path, strlen(path) + 1);
		break;
	}
	if (ret == -ENOENT)
		snprintf(err, errlen, "it has no <channel> with <target type='virtio' name='%s'>",
			 target);
	/* The type and mode quoted above are the XML's too. */
	if (ret)
		printable(err);
	xnode_free(root);
	return ret;
}

/* ---- QEMU's query-cpus-fast ------------------------------------------------ */

static int cmp_vcpu(const void *a, const void *b)
{
	const struct vmm_vcpu *x = a, *y = b;

	return x->index != y->index ? (x->index > y->index) - (x->index < y->index) :
	       (x->tid > y->tid) - (x->tid < y->tid);
}

void vmm_sort_vcpus(struct vmm_vcpu *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), cmp_vcpu);
}

/* Reads a JSON string at p (after its opening quote) into buf; returns past it. */
static const char *json_string(const char *p, char *buf, size_t len)
{
	size_t n = 0;

	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (n + 1 < len)
			buf[n++] = *p;
	}
	buf[n] = '\0';
	return *p ? p + 1 : p;
}

/*
 * The thread-id and cpu-index of each object of query-cpus-fast's "return"
 * array. Only members at that level count: "props" holds a "thread-id" of its
 * own (the topology's thread number).
 */
int vmm_parse_query_cpus(const char *reply, struct vmm_vcpu **ret, size_t *ret_n)
{
	struct vmm_vcpu *v = NULL, *grown;
	size_t n = 0, cap = 0;
	long long tid = -1, idx = -1;
	int depth = 0, in_return = 0;
	char key[32] = "", str[64];
	const char *p = reply;

	while (*p) {
		switch (*p) {
		case '{':
		case '[':
			depth++;
			if (depth == 3 && in_return)
				tid = idx = -1;
			p++;
			break;
		case '}':
		case ']':
			if (depth == 3 && in_return && *p == '}') {
				if (tid <= 0 || idx < 0) {
					free(v);
					return -EPROTO;
				}
				if (n == cap) {
					cap = cap ? 2 * cap : 16;
					grown = realloc(v, cap * sizeof(*v));
					if (!grown) {
						free(v);
						return -ENOMEM;
					}
					v = grown;
				}
				v[n].index = idx;
				v[n++].tid = tid;
			}
			if (depth == 2 && in_return && *p == ']')
				in_return = 0;
			depth--;
			p++;
			break;
		case '"':
			p = json_string(p + 1, str, sizeof(str));
			while (isspace((unsigned char)*p))
				p++;
			if (*p == ':') {
				snprintf(key, sizeof(key), "%s", str);
				if (depth == 1 && !strcmp(key, "return"))
					in_return = 1;
			}
			break;
		case ':':
			p++;
			while (isspace((unsigned char)*p))
				p++;
			if (depth == 3 && in_return && (*p == '-' || isdigit((unsigned char)*p))) {
				long long num = strtoll(p, (char **)&p, 10);

				if (!strcmp(key, "thread-id"))
					tid = num;
				else if (!strcmp(key, "cpu-index"))
					idx = num;
			}
			break;
		default:
			p++;
		}
	}
	vmm_sort_vcpus(v, n);
	*ret = v;
	*ret_n = n;
	return 0;
}
