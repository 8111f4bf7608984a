/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How src/lib functions report, the one way for all of src/lib: a message
 * into the caller's err buffer (which may be NULL) saying what failed with
 * what input, and mbedtls' negative codes printed as its headers list them.
 */
#ifndef AIRLOCK_LIB_ERR_H
#define AIRLOCK_LIB_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

__attribute__((format(printf, 3, 0))) static inline void lib_verr(char *err, size_t errlen,
								   const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
}

__attribute__((format(printf, 3, 4))) static inline void lib_err(char *err, size_t errlen,
								  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lib_verr(err, errlen, fmt, ap);
	va_end(ap);
}

static inline unsigned lib_mbed_code(int r)
{
	return r < 0 ? (unsigned)-r : (unsigned)r;
}

#endif
