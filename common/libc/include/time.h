#ifndef _TIME_H
#define _TIME_H
#include <ochre/time.h>
int nanosleep(const struct timespec *req, struct timespec *rem);
#endif
