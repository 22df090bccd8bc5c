#ifndef HOTLINE_COPENSSL_SHIM_H
#define HOTLINE_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/pem.h>

/* Function-like macros do not import into Swift: wrap each one used. */
static inline long hotline_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long hotline_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long hotline_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

/* An HMAC-SHA-256 context with its key set, to be duplicated for each message: fetching the algorithm and setting
   the key were most of a one-shot HMAC() (OSSL_PARAM arrays are built from macros, hence C). NULL on failure. */
static inline EVP_MAC_CTX *hotline_hmac_sha256_new(const unsigned char *key, size_t length) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) return NULL;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac); /* the context holds its own reference */
    if (ctx == NULL) return NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, key, length, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* The certificates of a verified chain (the node's own first, the authority last): sk_X509_* are macros. */
static inline int hotline_chain_count(X509_STORE_CTX *ctx) {
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    return chain == NULL ? 0 : sk_X509_num(chain);
}
static inline X509 *hotline_chain_at(X509_STORE_CTX *ctx, int i) {
    return sk_X509_value(X509_STORE_CTX_get0_chain(ctx), i);
}

/* A certificate's notAfter in seconds since 1970-01-01T00:00Z; 0 when it cannot be read. */
static inline int hotline_not_after_posix(const X509 *cert, long long *seconds) {
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    if (epoch == NULL) return 0;
    int days = 0, secs = 0;
    int ok = ASN1_TIME_diff(&days, &secs, epoch, X509_get0_notAfter(cert));
    ASN1_TIME_free(epoch);
    if (ok != 1) return 0;
    *seconds = (long long)days * 86400 + secs;
    return 1;
}
/* Adds every certificate revocation list in PEM `bytes` to `store`: how many, and the earliest nextUpdate (seconds
   since 1970-01-01T00:00Z; 0 when none gives one). Returns 0 when there is none or the store refuses one. */
static inline int hotline_crl_load(X509_STORE *store, const void *bytes, int length, int *count, long long *next_update) {
    BIO *bio = BIO_new_mem_buf(bytes, length);
    if (bio == NULL) return 0;
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int ok = 1;
    *count = 0;
    *next_update = 0;
    X509_CRL *crl;
    while (ok && (crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
        ok = X509_STORE_add_crl(store, crl); /* the store takes its own reference */
        *count += 1;
        const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
        int days = 0, secs = 0;
        if (epoch != NULL && next != NULL && ASN1_TIME_diff(&days, &secs, epoch, next) == 1) {
            long long at = (long long)days * 86400 + secs;
            if (*next_update == 0 || at < *next_update) *next_update = at;
        }
        X509_CRL_free(crl);
    }
    if (ok) ERR_clear_error(); /* the read that ends the loop leaves "no start line" behind */
    ASN1_TIME_free(epoch);
    BIO_free(bio);
    return ok && *count > 0;
}
#endif
