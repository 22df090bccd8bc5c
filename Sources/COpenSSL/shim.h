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

/* Seconds since 1970-01-01T00:00Z of an ASN1 time; 0 when absent or unreadable. */
static inline long long hotline_asn1_posix(const ASN1_TIME *t) {
    if (t == NULL) return 0;
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    if (epoch == NULL) return 0;
    int days = 0, secs = 0;
    int ok = ASN1_TIME_diff(&days, &secs, epoch, t);
    ASN1_TIME_free(epoch);
    return ok == 1 ? (long long)days * 86400 + secs : 0;
}

/* Checks a revocation list file (PEM `crl`, one list per authority) against the authorities in PEM `ca`: for each
   list, at most `max`, the index in `ca` of the authority that signed it (issuer name equal and signature verified),
   its lastUpdate and nextUpdate (seconds since 1970, 0 when absent). Returns how many lists; -1 when a list names no
   authority of `ca`, -2 when its signature does not verify with that authority's key, -3 more than `max` lists,
   -4 unreadable input. */
static inline int hotline_crl_inspect(const void *ca, int ca_length, const void *crl_bytes, int crl_length,
                                      int *authority, long long *last_update, long long *next_update, int max) {
    X509 *authorities[16];
    int count = 0;
    BIO *ca_bio = BIO_new_mem_buf(ca, ca_length);
    if (ca_bio == NULL) return -4;
    X509 *cert;
    while (count < 16 && (cert = PEM_read_bio_X509(ca_bio, NULL, NULL, NULL)) != NULL) authorities[count++] = cert;
    BIO_free(ca_bio);
    BIO *bio = BIO_new_mem_buf(crl_bytes, crl_length);
    if (bio == NULL) { for (int i = 0; i < count; i++) X509_free(authorities[i]); return -4; }
    int n = 0, result = 0;
    X509_CRL *crl;
    while (result == 0 && (crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
        if (n >= max) { result = -3; X509_CRL_free(crl); break; }
        int found = -1;
        for (int i = 0; i < count && found < 0; i++) {
            if (X509_NAME_cmp(X509_get_subject_name(authorities[i]), X509_CRL_get_issuer(crl)) == 0) found = i;
        }
        if (found < 0) result = -1;
        else if (X509_CRL_verify(crl, X509_get0_pubkey(authorities[found])) != 1) result = -2;
        else {
            authority[n] = found;
            last_update[n] = hotline_asn1_posix(X509_CRL_get0_lastUpdate(crl));
            next_update[n] = hotline_asn1_posix(X509_CRL_get0_nextUpdate(crl));
            n += 1;
        }
        X509_CRL_free(crl);
    }
    ERR_clear_error(); /* the read that ends the loop leaves "no start line" behind */
    BIO_free(bio);
    for (int i = 0; i < count; i++) X509_free(authorities[i]);
    return result < 0 ? result : n;
}
#endif
