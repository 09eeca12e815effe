// SPDX-License-Identifier: BSD-2-Clause
/*
 * artifact.c: read a polc artifact: an ELF object for the BPF target whose
 * ".polc.meta" section says what it holds.  Nothing is loaded here.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt.h"
#include "sha256.h"
#include "util.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

#define ARTIFACT_MAX (1u << 30)

/*
 * Find section `want` of the ELF image in data[0..len).  -ENOENT (and a log
 * line only if it is required) when there is none.
 */
static int find_section(struct polrt *rt, const char *name, void *data, size_t len,
			const char *want, bool required, const void **sec, size_t *sec_len)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return rt_err(rt, EINVAL, "libelf: %s", elf_errmsg(-1));
	Elf *elf = elf_memory(data, len);
	if (!elf)
		return rt_err(rt, EINVAL, "%s: not an ELF object", name);

	int err = 0;
	GElf_Ehdr ehdr;
	size_t shstrndx;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr)) {
		err = rt_err(rt, EINVAL, "%s: not an ELF object", name);
		goto out;
	}
	if (ehdr.e_machine != EM_BPF) {
		err = rt_err(rt, EINVAL, "%s: an ELF object, but not for BPF (machine %u)",
			     name, ehdr.e_machine);
		goto out;
	}
	if (ehdr.e_shoff > len || (uint64_t)ehdr.e_shnum * ehdr.e_shentsize > len - ehdr.e_shoff) {
		err = rt_err(rt, EINVAL, "%s: truncated ELF object (%zu bytes)", name, len);
		goto out;
	}
	if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
		err = rt_err(rt, EINVAL, "%s: ELF object without section names", name);
		goto out;
	}
	Elf_Scn *scn = NULL;
	err = -ENOENT;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		if (!gelf_getshdr(scn, &shdr))
			continue;
		const char *sname = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!sname || strcmp(sname, want) != 0)
			continue;
		if (shdr.sh_type != SHT_PROGBITS) {
			err = rt_err(rt, EINVAL, "%s: section %s has the wrong type", name, want);
			goto out;
		}
		if (shdr.sh_offset > len || shdr.sh_size > len - shdr.sh_offset) {
			err = rt_err(rt, EINVAL, "%s: section %s lies outside the file", name, want);
			goto out;
		}
		*sec = (const char *)data + shdr.sh_offset;
		*sec_len = shdr.sh_size;
		err = 0;
		break;
	}
	if (err == -ENOENT && required)
		rt_err(rt, ENOENT, "%s: a BPF object, but not made by polc (no %s section)",
		       name, want);
out:
	elf_end(elf);
	return err;
}

int polrt_artifact_from_mem(struct polrt *rt, const void *data, size_t len,
			    const char *name, struct polrt_artifact **out)
{
	struct polrt_artifact *a = calloc(1, sizeof(*a));
	const void *sec = NULL;
	size_t sec_len = 0;
	char why[256];
	int err;

	if (!a)
		return -ENOMEM;
	const char *slash = strrchr(name, '/');
	snprintf(a->name, sizeof(a->name), "%s", slash ? slash + 1 : name);
	a->data = malloc(len ? len : 1);
	if (!a->data) {
		free(a);
		return -ENOMEM;
	}
	memcpy(a->data, data, len);
	a->len = len;

	err = find_section(rt, name, a->data, a->len, POLC_META_SECTION, true, &sec, &sec_len);
	if (err)
		goto fail;
	/* an aligned copy: the records are read through typed pointers */
	a->meta_blob = aligned_alloc(8, (sec_len + 7) & ~(size_t)7);
	if (!a->meta_blob) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(a->meta_blob, sec, sec_len);
	a->meta_len = sec_len;
	err = polrt_meta_parse(a->meta_blob, a->meta_len, &a->meta, why, sizeof(why));
	if (err) {
		rt_err(rt, EINVAL, "%s: invalid polc metadata: %s", name, why);
		goto fail;
	}
	/* the bulk data: set elements and classifier tables */
	err = find_section(rt, name, a->data, a->len, POLC_DATA_SECTION, false, &sec, &sec_len);
	if (err == -ENOENT) {
		sec_len = 0;
	} else if (err) {
		goto fail;
	}
	a->data_blob = aligned_alloc(8, sec_len ? (sec_len + 7) & ~(size_t)7 : 8);
	if (!a->data_blob) {
		err = -ENOMEM;
		goto fail;
	}
	if (sec_len)
		memcpy(a->data_blob, sec, sec_len);
	a->data_len = sec_len;
	err = polrt_meta_check_data(&a->meta, a->data_len, why, sizeof(why));
	err = err ?: polrt_meta_check_backends(&a->meta, a->data_blob, a->data_len, why, sizeof(why));
	if (err) {
		rt_err(rt, EINVAL, "%s: invalid polc data: %s", name, why);
		goto fail;
	}
	sha256(a->data, a->len, a->sha256);
	*out = a;
	return 0;
fail:
	polrt_artifact_free(&a);
	return err;
}

int polrt_artifact_open(struct polrt *rt, const char *path,
			struct polrt_artifact **out)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return rt_err(rt, errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		return rt_err(rt, errno, "cannot read %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rt_err(rt, EINVAL, "%s is not a regular file", path);
	if (st.st_size > ARTIFACT_MAX)
		return rt_err(rt, EFBIG, "%s is too large for an artifact", path);

	size_t len = (size_t)st.st_size;
	_cleanup_free_ char *buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rt_err(rt, n < 0 ? errno : EIO, "cannot read %s", path);
		got += (size_t)n;
	}
	return polrt_artifact_from_mem(rt, buf, len, path, out);
}

void polrt_artifact_free(struct polrt_artifact **ap)
{
	struct polrt_artifact *a = *ap;

	if (!a)
		return;
	free(a->data);
	free(a->meta_blob);
	free(a->data_blob);
	free(a);
	*ap = NULL;
}

const struct polrt_meta *polrt_artifact_meta(const struct polrt_artifact *a)
{
	return &a->meta;
}

const void *polrt_artifact_meta_blob(const struct polrt_artifact *a, size_t *len)
{
	*len = a->meta_len;
	return a->meta_blob;
}
