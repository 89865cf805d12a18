#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
// OPENSSL_free is a function-like macro, which Swift does not import.
static inline void cshim_openssl_free(void *p) { OPENSSL_free(p); }
