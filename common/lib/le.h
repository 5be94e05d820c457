/*
 * Little-endian loads from possibly unaligned bytes (file formats: ELF,
 * initfs). memcpy keeps them legal C, so UBSan stays quiet when a fuzzer
 * hands the parsers unaligned buffers; compilers turn them into plain
 * loads on x86.
 */
#ifndef OCHRE_LE_H
#define OCHRE_LE_H

#include <stdint.h>
#include "string.h"

static inline uint16_t le16(const uint8_t *p)
{
	uint8_t b[2];
	memcpy(b, p, sizeof(b));
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	uint8_t b[4];
	memcpy(b, p, sizeof(b));
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

#endif
