/*
 * The 8259 PIC and the 8254 PIT. Old and simple, and QEMU emulates them
 * everywhere. The PIC's IRQs 0-15 are moved to vectors 32-47 (vectors below
 * 32 are CPU exceptions); only IRQ 0 (the PIT) is unmasked.
 *
 * Guest time: without -icount, QEMU's virtual clock follows the host's, so
 * a tick is 1 ms of host time. Tests never compare guest work with ticks.
 */
#include "kernel.h"
#include "context.h"
#include "memlayout.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define PIC_EOI		0x20
#define PIT_CH0		0x40
#define PIT_CMD		0x43
#define PIT_FREQ	1193182
#define LAPIC_PHYS	0xfee00000UL	/* the local APIC's registers */
#define LAPIC_SVR	0x0f0		/* spurious vector; bit 8 enables */
#define LAPIC_LINT0	0x350
#define LAPIC_LINT1	0x360
#define APIC_SW_ENABLE	0x100
#define LVT_EXTINT	0x700		/* deliver as the PIC's interrupt */
#define LVT_NMI		0x400

static volatile uint64_t ticks;
static bool user_code_ran;

uint64_t timer_ticks(void)
{
	return ticks;
}

uint64_t timer_ns(void)
{
	return ticks * NS_PER_TICK;
}

void timer_note_user_activity(void)
{
	user_code_ran = true;
}

static void pic_init(void)
{
	outb(PIC1_CMD, 0x11);		/* init, expect ICW4 */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, T_IRQ0);	/* IRQ 0-7 -> vectors 32-39 */
	outb(PIC2_DATA, T_IRQ0 + 8);	/* IRQ 8-15 -> vectors 40-47 */
	outb(PIC1_DATA, 4);		/* slave on IRQ 2 */
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, 0x01);		/* 8086 mode */
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xfe);		/* only IRQ 0 */
	outb(PIC2_DATA, 0xff);
}

/* Lets a later lab take another IRQ (lab 3: the serial port). */
void pic_unmask(int irq)
{
	uint16_t port = irq < 8 ? PIC1_DATA : PIC2_DATA;
	outb(port, inb(port) & ~(1 << (irq % 8)));
	if (irq >= 8)
		outb(PIC1_DATA, inb(PIC1_DATA) & ~(1 << 2));	/* cascade */
}

/*
 * The PIC's interrupt line reaches the CPU through the local APIC's LINT0
 * pin, which a PC BIOS sets to pass it through ("virtual wire" mode). A
 * minimal firmware (qboot, under direct boot) leaves LINT0 masked, as at
 * reset, and no timer interrupt would ever arrive: so we set virtual wire
 * mode ourselves, whichever firmware ran. (Through PHYS_OFFSET, which maps
 * the first 4 GiB, device registers included.)
 */
static void lapic_virtual_wire(void)
{
	volatile uint32_t *lapic = phys_to_virt(LAPIC_PHYS);
	lapic[LAPIC_SVR / 4] |= APIC_SW_ENABLE;
	lapic[LAPIC_LINT0 / 4] = LVT_EXTINT;
	lapic[LAPIC_LINT1 / 4] = LVT_NMI;
}

static void pit_init(void)
{
	uint16_t divisor = PIT_FREQ / TIMER_HZ;
	outb(PIT_CMD, 0x34);		/* channel 0, lo/hi, rate generator */
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
}

/*
 * A safety net for the starter code: if no user instruction has run three
 * seconds after boot, the scheduler cannot be working. Saying so beats a
 * grader timeout.
 */
static void check_progress(void)
{
	if (ticks == 3 * TIMER_HZ && !user_code_ran) {
		printk("ochre: no user code has run 3 s after boot; are "
		       "switch_to() and schedule() written? (HANDOUT.md §4)\n");
		qemu_exit(EXIT_PANIC);
	}
}

static void timer_interrupt(struct trapframe *tf)
{
	ticks++;
	outb(PIC1_CMD, PIC_EOI);
	if (trap_from_user(tf))
		user_code_ran = true;
	check_progress();
	sched_tick();
}
TRAP_HANDLER(T_IRQ0, timer_interrupt);

static void timer_init(void)
{
	lapic_virtual_wire();
	pic_init();
	pit_init();
}
INITCALL(timer_init, 3);
