#ifndef OCHRE_TIME_H
#define OCHRE_TIME_H

struct timespec {
	long tv_sec;
	long tv_nsec;
};

#endif
