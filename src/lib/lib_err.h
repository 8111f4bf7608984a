/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How src/lib functions report: a message into the caller's err buffer (which
 * may be NULL), and mbedtls' negative codes printed as its headers list them.
 */
#ifndef AIRLOCK_LIB_ERR_H
#define AIRLOCK_LIB_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4))) static inline void lib_err(char *err, size_t errlen,
								  const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static inline unsigned lib_mbed_code(int r)
{
	return r < 0 ? (unsigned)-r : (unsigned)r;
}

#endif
