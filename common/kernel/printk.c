/* printk: formatted output to the serial console. */
#include "kernel.h"
#include "serial.h"

static void console_out(void *ctx __unused, char c)
{
	serial_putc(c);
}

int vprintk(const char *fmt, va_list ap)
{
	return vformat(console_out, NULL, fmt, ap);
}

int printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
