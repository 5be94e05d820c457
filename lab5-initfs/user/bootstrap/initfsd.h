/*
 * The initfs daemon (lab 5), linked into bootstrap: bootstrap's forked
 * child becomes it. See initfsd.c and HANDOUT.md §3.
 */
#ifndef INITFSD_H
#define INITFSD_H

#include <stddef.h>
#include <stdint.h>

/* Exit statuses of the daemon (bootstrap reports them). */
#define INITFSD_BAD_IMAGE	2	/* initfs_validate refused the image */
#define INITFSD_NO_SCHEME	3	/* could not register "initfs" */
#define INITFSD_IO		4	/* its scheme fd failed */

/*
 * Validates the image at img (len bytes), registers scheme "initfs",
 * writes one byte to ready_fd and closes it, then serves requests until
 * the scheme fd fails. Returns an exit status, never 0; on any failure
 * before registration nothing is written to ready_fd.
 */
int initfsd_main(const void *img, size_t len, int ready_fd);

#endif
