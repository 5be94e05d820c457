#ifndef _SIGNAL_H
#define _SIGNAL_H
#include <ochre/signal.h>
#include <unistd.h>
int kill(pid_t pid, int sig);
#endif
