/* errno's symbolic name; see errname.c. */
#ifndef OCHRE_ERRNAME_H
#define OCHRE_ERRNAME_H

const char *errno_name(int err);	/* "ENOMEM"; "E?" if unknown */

#endif
