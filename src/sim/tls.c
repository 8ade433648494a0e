/*
 * tls.c - the tap (tap.c) on a connection that speaks TLS.
 *
 * With TLS, recv() carries ciphertext; the request as sent leaves OpenSSL
 * through SSL_read(), which libwebsockets calls.  The simulator defines
 * SSL_read itself, so the dynamic linker binds libwebsockets' calls here;
 * this one calls libssl's and shows the plaintext to the tap.  Only the
 * service thread reads, as for recv().
 */
#include <dlfcn.h>
#include <string.h>

#include <openssl/ssl.h>

#include "sim.h"

typedef int (*ssl_read_fn)(SSL *, void *, int);
typedef int (*ssl_get_fd_fn)(const SSL *);

int
SSL_read(SSL *ssl, void *buf, int num)
{
	static ssl_read_fn real_read;
	static ssl_get_fd_fn get_fd;
	int n;

	if (real_read == NULL) {
		void *r = dlsym(RTLD_NEXT, "SSL_read");
		void *g = dlsym(RTLD_NEXT, "SSL_get_fd");

		memcpy(&real_read, &r, sizeof(r));
		memcpy(&get_fd, &g, sizeof(g));
		if (real_read == NULL)
			return -1;
	}
	n = real_read(ssl, buf, num);
	if (n > 0 && get_fd != NULL)
		tap_feed(get_fd(ssl), buf, (size_t)n);
	return n;
}
