/* COM1 serial console: the only console Ochre has. */
#ifndef OCHRE_SERIAL_H
#define OCHRE_SERIAL_H

#include "types.h"

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
int serial_getc(void);		/* -1 if no byte is waiting */
int serial_getc_wait(void);	/* waits for a byte */

#endif
