/*
 * Hidden in-kernel tests of lab 1: an example of an instructor's hidden
 * tests (docs/instructors.md). grader/autograde.py --hidden adds this file
 * to the tree it grades; no handout ever contains it.
 */
#include "kernel.h"
#include "frame.h"
#include "heap.h"
#include "ktest.h"

#define HELD 64

/* Frames freed in an order unlike the order of allocation (every other one
 * first): no frame is handed out twice while held, and the free count
 * always adds up. */
KTEST(hidden_frames_interleave)
{
	size_t base = frame_free_count();
	physaddr_t held[HELD];

	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < HELD; i++) {
			held[i] = frame_alloc();
			KT_ASSERT(held[i] != 0);
			for (int j = 0; j < i; j++)
				KT_ASSERT(held[i] != held[j]);
		}
		for (int i = round % 2; i < HELD; i += 2)
			KT_ASSERT_EQ(frame_free(held[i]), 0);
		for (int i = 1 - round % 2; i < HELD; i += 2)
			KT_ASSERT_EQ(frame_free(held[i]), 0);
		KT_ASSERT_EQ(frame_free_count(), base);
	}
}

/* Objects of many sizes keep their contents while others come and go. */
KTEST(hidden_heap_sizes)
{
	unsigned char *p[HELD];

	for (int i = 0; i < HELD; i++) {
		size_t size = 1 + (size_t)i * 97;
		p[i] = kmalloc(size);
		KT_ASSERT(p[i] != NULL);
		memset(p[i], i, size);
	}
	for (int i = 0; i < HELD; i += 2)
		kfree(p[i]);
	for (int i = 1; i < HELD; i += 2) {
		size_t size = 1 + (size_t)i * 97;
		for (size_t k = 0; k < size; k++)
			KT_ASSERT_EQ(p[i][k], (unsigned char)i);
		kfree(p[i]);
	}
}
