/* Signals (lab 2: default actions only). */
#ifndef OCHRE_SIGNAL_H
#define OCHRE_SIGNAL_H

#define SIGILL		4
#define SIGTRAP		5
#define SIGFPE		8
#define SIGKILL		9
#define SIGSEGV		11
#define SIGTERM		15
#define NSIG		32

#endif
