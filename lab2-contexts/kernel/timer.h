/* The timer (lab 2, given): the PIT at TIMER_HZ on IRQ 0 through the 8259
 * PIC. Ticks drive preemption and nanosleep. */
#ifndef OCHRE_TIMER_H
#define OCHRE_TIMER_H

#include "types.h"

#define TIMER_HZ	1000
#define NS_PER_TICK	(1000000000UL / TIMER_HZ)

uint64_t timer_ticks(void);
uint64_t timer_ns(void);	/* nanoseconds since the timer started */
void timer_note_user_activity(void);
void pic_unmask(int irq);	/* let another IRQ through (lab 3: serial) */

#endif
