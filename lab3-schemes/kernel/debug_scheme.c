/*
 * debug: the serial console as a file. Writes go to COM1; a read blocks
 * until at least one byte has arrived (the UART's receive interrupt fills a
 * ring buffer and wakes readers) and returns what is there. The shell does
 * its own line editing.
 */
#include "kernel.h"
#include "context.h"
#include "scheme.h"
#include "serial.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

#define INPUT_SIZE	256
#define COM1_IER	(0x3f8 + 1)
#define IRQ_COM1	4

static uint8_t input[INPUT_SIZE];
static unsigned in_head, in_tail;	/* bytes in [tail, head) */
static struct waitq readers = WAITQ_INIT;

static void serial_interrupt(struct trapframe *tf)
{
	int c;
	while ((c = serial_getc()) >= 0) {
		if (in_head - in_tail < INPUT_SIZE)
			input[in_head++ % INPUT_SIZE] = (uint8_t)c;
	}
	outb(0x20, 0x20);	/* EOI */
	wakeup(&readers);
}
TRAP_HANDLER(T_IRQ0 + IRQ_COM1, serial_interrupt);

static void serial_input_init(void)
{
	outb(COM1_IER, 0x01);		/* interrupt when data arrives */
	pic_unmask(IRQ_COM1);
}
INITCALL(serial_input_init, 3);

static int debug_open(struct scheme *s, const char *path, int flags,
		      int mode, struct file *f)
{
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	return 0;	/* any path: "debug:" is the console */
}

static int64_t debug_read(struct file *f, struct iobuf *b, uint64_t off)
{
	if (b->len == 0)
		return 0;
	while (in_head == in_tail) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		int err = sleep_on(&readers);
		if (err)
			return err;
	}
	size_t n = 0;
	while (n < b->len && in_tail != in_head) {
		uint8_t c = input[in_tail % INPUT_SIZE];
		if (iobuf_put(b, n, &c, 1) != 0)
			return n ? (int64_t)n : -EFAULT;
		in_tail++;
		n++;
	}
	return (int64_t)n;
}

static int64_t debug_write(struct file *f, struct iobuf *b, uint64_t off)
{
	char chunk[256];
	for (size_t done = 0; done < b->len;) {
		size_t n = MIN(b->len - done, sizeof(chunk));
		if (iobuf_get(b, done, chunk, n) != 0)
			return done ? (int64_t)done : -EFAULT;
		serial_write(chunk, n);
		done += n;
	}
	return (int64_t)b->len;
}

static int debug_fstat(struct file *f, struct ochre_stat *st)
{
	st->mode = S_IFCHR | 0666;
	st->nlink = 1;
	return 0;
}

static const struct scheme_ops debug_ops = {
	.open = debug_open, .read = debug_read, .write = debug_write,
	.fstat = debug_fstat,
};
static struct scheme debug_scheme = { .name = "debug", .ops = &debug_ops };
KERNEL_SCHEME(debug_scheme);
