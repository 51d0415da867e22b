/* RowAdam's per-step work on the word table (textclf/fast/native/rowadam.py, NativeRowAdam): each row a
 * batch reads is read from the table once and written once, where PyTorch's ops take a gather,
 * a dozen elementwise passes and a scatter. A step waits on memory more than it computes, so
 * its walk over the rows is shared by every core, and the next batch is gathered on a thread
 * of its own meanwhile. Built and loaded by textclf/fast/native/build.py. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE__)
#include <xmmintrin.h>
/* Moments decay towards zero, and x86 computes on subnormal floats ~100x slower: within a
 * kernel they count as zero (1e-38 against Adam's eps of 1e-8); the thread's mode is restored. */
#define SUBNORMALS_AS_ZERO unsigned int saved_csr = _mm_getcsr(); _mm_setcsr(saved_csr | 0x8040)
#define RESTORE_SUBNORMALS _mm_setcsr(saved_csr)
#else
#define SUBNORMALS_AS_ZERO
#define RESTORE_SUBNORMALS
#endif

#ifdef __cplusplus  /* built by the C++ driver (torch.utils.cpp_extension): the same code, C names */
#define restrict __restrict__
extern "C" {
#endif

/* Rows are read in scattered order, each a few cache lines the CPU would otherwise wait for in
 * turn: ask for the one AHEAD places on while this one computes. Into L2, not L1 (locality 1):
 * that many rows' lines in flight overflow L1's few miss buffers, and the rows are read
 * once. Against (8 rows, L1): 20% less time per step on 20 groups, 6% on 3 (interleaved A/B). */
enum { AHEAD = 24, LOCALITY = 1, MAX_THREADS = 16 };
static inline void prefetch_row(const float *row, int64_t h) {
    for (int64_t j = 0; j < h; j += 16) __builtin_prefetch(row + j, 0, LOCALITY);
}

/* o += x * c over h floats, in blocks of 16 that compile to whole vector operations (h is not
 * known when this is compiled: a plain loop checks alignment and overlap at run time). */
static inline void add_scaled(float *restrict o, float x, const float *restrict c, int64_t h) {
    int64_t j = 0;
    for (; j + 16 <= h; j += 16)
        for (int q = 0; q < 16; q++) o[j + q] += x * c[j + q];
    for (; j < h; j++) o[j] += x * c[j];
}

typedef void (*range_fn)(const void *args, int64_t lo, int64_t hi);
typedef struct {
    range_fn fn;
    const void *args;
    int64_t lo, hi;
} part_t;

static void *run_part(void *p) {
    const part_t *part = (const part_t *)p;
    part->fn(part->args, part->lo, part->hi);
    return NULL;
}

/* run(items + t * size) for t in [0, threads), each on a thread of its own but the first, which
 * this thread runs; returns when all are done. */
static void run_on_threads(void *(*run)(void *), void *items, size_t size, int64_t threads) {
    pthread_t ids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    char *item = (char *)items;
    for (int64_t t = 1; t < threads; t++)
        started[t] = pthread_create(&ids[t], NULL, run, item + t * size) == 0;
    run(item);
    for (int64_t t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(ids[t], NULL);
        else
            run(item + t * size);  /* no thread to be had: do its part here */
    }
}

/* fn(args, lo, hi) over [0, n) in `threads` equal parts of at least `least`, this thread
 * taking the first (a thread costs some tens of microseconds to start). */
static void parallel(int64_t threads, int64_t n, int64_t least, range_fn fn, const void *args) {
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > n / least) threads = n / least;
    if (threads < 2) {
        fn(args, 0, n);
        return;
    }
    part_t parts[MAX_THREADS];
    for (int64_t t = 0; t < threads; t++)
        parts[t] = (part_t){fn, args, n * t / threads, n * (t + 1) / threads};
    run_on_threads(run_part, parts, sizeof(part_t), threads);
}

/* Gathers a batch of docs from the training matrix's CSR (indptr, indices, data), by word: lists
 * the distinct words (rows of the table) it reads in increasing order (a scan of the byte marks,
 * so the rows then lie in memory order) and writes the batch's CSC: for the list's i-th word,
 * entries col_ptr[i] .. col_ptr[i + 1] of col_doc (the doc's place in the batch, in batch order)
 * and col_x (its count or weight). Returns the list's length, n. marks (a byte per word) must be
 * zero and are left so; slot needs no initial value; col_ptr holds nnz + 1. */
static int64_t gather_batch(const int64_t *indptr, const int32_t *indices, const float *data,
                            const int64_t *docs, int64_t count, int64_t words, uint8_t *marks,
                            int32_t *slot, int64_t *rows, int64_t *col_ptr, int32_t *col_doc,
                            float *col_x) {
    for (int64_t d = 0; d < count; d++)
        for (int64_t k = indptr[docs[d]]; k < indptr[docs[d] + 1]; k++) marks[indices[k]] = 1;
    int64_t n = 0, r = 0;
    for (; r + 8 <= words; r += 8) {
        uint64_t eight;
        memcpy(&eight, marks + r, 8);
        if (!eight) continue;  /* most words are not in the batch */
        for (int64_t q = r; q < r + 8; q++)
            if (marks[q]) {
                marks[q] = 0;
                slot[q] = (int32_t)n;
                rows[n++] = q;
            }
    }
    for (; r < words; r++)
        if (marks[r]) {
            marks[r] = 0;
            slot[r] = (int32_t)n;
            rows[n++] = r;
        }
    memset(col_ptr, 0, sizeof(int64_t) * (size_t)(n + 1));
    for (int64_t d = 0; d < count; d++)
        for (int64_t k = indptr[docs[d]]; k < indptr[docs[d] + 1]; k++)
            col_ptr[slot[indices[k]] + 1]++;
    for (int64_t i = 0; i < n; i++) col_ptr[i + 1] += col_ptr[i];
    for (int64_t d = 0; d < count; d++)  /* col_ptr[i] walks to col_ptr[i + 1] as i fills... */
        for (int64_t k = indptr[docs[d]]; k < indptr[docs[d] + 1]; k++) {
            const int64_t at = col_ptr[slot[indices[k]]]++;
            col_doc[at] = (int32_t)d;
            col_x[at] = data[k];
        }
    for (int64_t i = n; i > 0; i--) col_ptr[i] = col_ptr[i - 1];  /* ...so shift it back */
    col_ptr[0] = 0;
    return n;
}

/* gather_batch on a thread of its own, started here and joined by gather_finish (which gives
 * its result): a batch is gathered while the one before trains. The caller keeps every array
 * alive until then. Without a thread to be had, gathers here and now. */
typedef struct {
    const int64_t *indptr, *docs;
    const int32_t *indices;
    const float *data;
    int64_t count, words, n;
    uint8_t *marks;
    int32_t *slot, *col_doc;
    int64_t *rows, *col_ptr;
    float *col_x;
    pthread_t id;
    int started;
} gather_t;

static void *run_gather(void *arg) {
    gather_t *g = (gather_t *)arg;
    g->n = gather_batch(g->indptr, g->indices, g->data, g->docs, g->count, g->words, g->marks,
                        g->slot, g->rows, g->col_ptr, g->col_doc, g->col_x);
    return NULL;
}

void *gather_start(const int64_t *indptr, const int32_t *indices, const float *data,
                   const int64_t *docs, int64_t count, int64_t words, uint8_t *marks,
                   int32_t *slot, int64_t *rows, int64_t *col_ptr, int32_t *col_doc,
                   float *col_x) {
    gather_t *g = (gather_t *)malloc(sizeof(gather_t));
    if (g == NULL) return NULL;
    *g = (gather_t){.indptr = indptr, .docs = docs, .indices = indices, .data = data,
                    .count = count, .words = words, .marks = marks, .slot = slot,
                    .col_doc = col_doc, .rows = rows, .col_ptr = col_ptr, .col_x = col_x};
    g->started = pthread_create(&g->id, NULL, run_gather, g) == 0;
    if (!g->started) run_gather(g);
    return g;
}

int64_t gather_finish(void *handle) {
    gather_t *g = (gather_t *)handle;
    if (g->started) pthread_join(g->id, NULL);
    const int64_t n = g->n;
    free(g);
    return n;
}

/* The listed rows' factors for walk_rows (stamp t + 1) or catch_up (stamp t), from the step
 * each was last brought up to (last[], then set to stamp): with s = the steps it skipped, coef =
 * lr * their closed-form sum (window[s] for s <= horizon, else settled[last]), damp = eps /
 * scale, and the moments' decay beta1^s, beta2^s (from the power tables, which reach t + 1). */
void row_factors(const int64_t *rows, int64_t n, int64_t *last, int64_t t, int64_t stamp,
                 const double *window, int64_t horizon, const double *settled,
                 const double *beta1_powers, const double *beta2_powers, double lr, double eps,
                 double beta2, float *coef, float *damp, float *decay1, float *decay2) {
    for (int64_t i = 0; i < n; i++) {
        const int64_t since = last[rows[i]], skipped = t - since;
        const double sum = skipped <= horizon ? window[skipped] : settled[since];
        coef[i] = (float)(lr * sum);
        damp[i] = (float)(eps * sqrt((1.0 - beta2_powers[since + 1]) / beta2));
        decay1[i] = (float)beta1_powers[skipped];
        decay2[i] = (float)beta2_powers[skipped];
        last[rows[i]] = stamp;
    }
}

/* One call's arguments, for the threads that share its work. A sparse matrix is (ptr, index,
 * value): the batch by word (CSC) for a step. */
typedef struct {
    float *w, *m, *v;
    int64_t h;
    const int64_t *rows;  /* step: the batch's rows; flush: NULL, rows start + i */
    int64_t n, start;
    const float *coef, *damp, *decay1, *decay2;
    const int64_t *ptr;
    const int32_t *index;
    const float *value, *grad_out;
    float step_size, bc2_sqrt, grad1, beta2, grad2, eps;
} job_t;

/* A row's weights moved in place by the zero-gradient Adam steps it skipped, in closed form:
 * w - coef * m / (sqrt(v) + damp), coef = lr * the skipped steps' sum, damp = eps / scale. */
static inline void move_row(float *restrict wr, const float *restrict mr,
                            const float *restrict vr, int64_t h, float c, float e) {
    for (int64_t k = 0; k < h; k++) wr[k] -= c * mr[k] / (sqrtf(vr[k]) + e);
}

/* A row taken: its weights brought up to date (move_row; none skipped: coef = 0, left as they
 * are), its moments to be decayed over those steps when it is stepped; then its part of the
 * first layer's output, x @ w, added to products (its docs' entries col_doc/col_x [lo, hi)). */
static inline void take_row(float *restrict wr, const float *restrict mr,
                            const float *restrict vr, int64_t h, float c, float e, int64_t lo,
                            int64_t hi, const int32_t *col_doc, const float *col_x,
                            float *restrict products) {
    if (c != 0.0f) move_row(wr, mr, vr, h, c, e);
    for (int64_t k = lo; k < hi; k++) add_scaled(products + col_doc[k] * h, col_x[k], wr, h);
}

static inline void prefetch_take(const float *w, const float *m, const float *v, int64_t row,
                                 float coef, int64_t h) {
    prefetch_row(w + row * h, h);
    if (coef != 0.0f) {  /* a row that skipped no step is read as it is: w alone */
        prefetch_row(m + row * h, h);
        prefetch_row(v + row * h, h);
    }
}

static inline void prefetch_step(float *w, const float *m, const float *v, int64_t row,
                                 int64_t h) {
    prefetch_row(m + row * h, h);
    prefetch_row(v + row * h, h);
    for (int64_t j = 0; j < h; j += 16)  /* w is written: asked for with intent to write */
        __builtin_prefetch(w + row * h + j, 1, LOCALITY);
}

/* The i-th row of a step: its gradient, x^T grad_out, summed over its docs (in batch order)
 * from grad_out (docs x h, small enough to stay in cache), then its Adam step (its weights as
 * taken, its moments first decayed over the steps it skipped); written to the table. */
static inline void step_row(const job_t *restrict j, int64_t i, float *restrict g) {
    const int64_t h = j->h;
    memset(g, 0, sizeof(float) * (size_t)h);
    for (int64_t k = j->ptr[i]; k < j->ptr[i + 1]; k++)
        add_scaled(g, j->value[k], j->grad_out + j->index[k] * h, h);
    const int64_t r = j->rows[i] * h;
    const float d1 = j->decay1[i], d2 = j->decay2[i];
    const float step_size = j->step_size, bc2_sqrt = j->bc2_sqrt, grad1 = j->grad1;
    const float beta2 = j->beta2, grad2 = j->grad2, eps = j->eps;
    float *restrict wr = j->w + r, *restrict mr = j->m + r, *restrict vr = j->v + r;
    for (int64_t c = 0; c < h; c++) {
        float mc = mr[c] * d1, vc = vr[c] * d2;
        mc += grad1 * (g[c] - mc);
        vc = vc * beta2 + grad2 * g[c] * g[c];
        mr[c] = mc;
        vr[c] = vc;
        wr[c] -= step_size * mc / (sqrtf(vc) / bc2_sqrt + eps);
    }
}

/* One Adam step for a batch's rows (n of them; 0: none) and the next batch's take (next_n
 * rows; 0: none), in one walk over both batches' rows in memory order. A step: each row's
 * gradient from the batch's output gradient, its moments decayed over the steps it skipped,
 * its Adam step from its weights as taken. A take: each row's weights brought up to date in
 * place, and the next batch's x @ rows summed into products. A row the two batches share is
 * stepped and then taken while in cache (it then skipped no step) instead of being fetched
 * again; consecutive batches of the newsgroups share about 45% of their rows. The
 * next batch's factors must count this step as done (rows it shares with this one: coef 0).
 *
 * The walk waits on memory more than it computes, so `threads` threads share it. The rows fall
 * into PARTS parts by alternate blocks of 16 rows (each part holds frequent and rare words alike;
 * a block's 6 KB per table keeps threads off each other's cache lines); a thread walks the parts
 * p with p % threads == its number, and each part sums the next batch's products into a slice of
 * its own of `products` (PARTS x next_docs x h), added up into slice 0 in part order at the end:
 * the same sums in the same order whatever the number of threads, so the same results. */
typedef struct {
    job_t step;
    const int64_t *next_rows, *next_ptr;
    int64_t next_n, next_docs, thread, threads;
    const float *coef, *damp, *next_x;
    const int32_t *next_doc;
    float *products;
} walk_t;

enum { BLOCK_SHIFT = 4, PARTS = 4 };

/* The part a row belongs to, and whether thread `thread` of `threads` walks that part. */
static inline int64_t part_of(int64_t row) { return (row >> BLOCK_SHIFT) % PARTS; }
static inline int walked_by(int64_t part, int64_t thread, int64_t threads) {
    return part % threads == thread;
}

static void *walk_part(void *arg) {
    const walk_t *wk = (const walk_t *)arg;
    const job_t *job = &wk->step;
    const int64_t h = job->h, n = job->n, next_n = wk->next_n, thread = wk->thread;
    const int64_t threads = wk->threads, *rows = job->rows, *next_rows = wk->next_rows;
    const int64_t size = wk->next_docs * h;
    const float *coef = wk->coef;
    float *w = job->w, *m = job->m, *v = job->v;
    float g[h];
    SUBNORMALS_AS_ZERO;
    for (int64_t p = thread; p < PARTS && size; p += threads)
        memset(wk->products + p * size, 0, sizeof(float) * (size_t)size);
    int64_t i = 0, k = 0;
    while (i < n || k < next_n) {
        const int64_t r = i < n ? rows[i] : INT64_MAX, s = k < next_n ? next_rows[k] : INT64_MAX;
        const int64_t part = part_of(r < s ? r : s);
        const int mine = walked_by(part, thread, threads);
        if (r <= s) {
            if (mine) {
                const int64_t ahead = i + AHEAD < n ? rows[i + AHEAD] : -1;
                if (ahead >= 0 && walked_by(part_of(ahead), thread, threads))
                    prefetch_step(w, m, v, ahead, h);
                step_row(job, i, g);
            }
            i++;
        }
        if (s <= r) {
            if (mine) {
                const int64_t ahead = k + AHEAD < next_n ? next_rows[k + AHEAD] : -1;
                if (ahead >= 0 && walked_by(part_of(ahead), thread, threads))
                    prefetch_take(w, m, v, ahead, coef[k + AHEAD], h);
                const int64_t at = s * h;
                take_row(w + at, m + at, v + at, h, coef[k], wk->damp[k], wk->next_ptr[k],
                         wk->next_ptr[k + 1], wk->next_doc, wk->next_x,
                         wk->products + part * size);
            }
            k++;
        }
    }
    RESTORE_SUBNORMALS;
    return NULL;
}

int64_t walk_parts(void) { return PARTS; }  /* the slices walk_rows' products need */

void walk_rows(float *w, float *m, float *v, int64_t h, const int64_t *col_ptr,
               const int32_t *col_doc, const float *col_x, const float *grad_out,
               const int64_t *rows, int64_t n, const float *decay1, const float *decay2,
               float step_size, float bc2_sqrt, float grad1, float beta2, float grad2,
               float eps, const int64_t *next_rows, int64_t next_n, const float *coef,
               const float *damp, const int64_t *next_ptr, const int32_t *next_doc,
               const float *next_x, float *products, int64_t next_docs, int64_t threads) {
    if (threads > PARTS) threads = PARTS;
    if (threads < 1) threads = 1;
    walk_t walks[PARTS];
    for (int64_t t = 0; t < threads; t++)
        walks[t] = (walk_t){
            .step = {.w = w, .m = m, .v = v, .h = h, .rows = rows, .n = n, .decay1 = decay1,
                     .decay2 = decay2, .ptr = col_ptr, .index = col_doc,
                     .value = col_x, .grad_out = grad_out, .step_size = step_size,
                     .bc2_sqrt = bc2_sqrt, .grad1 = grad1, .beta2 = beta2, .grad2 = grad2,
                     .eps = eps},
            .next_rows = next_rows, .next_ptr = next_ptr, .next_n = next_n,
            .next_docs = next_docs, .thread = t, .threads = threads, .coef = coef, .damp = damp,
            .next_x = next_x, .next_doc = next_doc, .products = products};
    run_on_threads(walk_part, walks, sizeof(walk_t), threads);
    const int64_t size = next_docs * h;
    for (int64_t p = 1; p < PARTS; p++)
        for (int64_t q = 0; q < size; q++) products[q] += products[p * size + q];
}

/* Rows start + [lo, hi) brought up to the current step in place (RowAdam.flush): moved by
 * move_row, moments decayed by decay1/decay2 over the steps each skipped. */
static void catch_up_part(const void *args, int64_t lo, int64_t hi) {
    const job_t *j = (const job_t *)args;
    const int64_t h = j->h, start = j->start;
    const float *coef = j->coef, *damp = j->damp, *decay1 = j->decay1, *decay2 = j->decay2;
    float *restrict w = j->w, *restrict m = j->m, *restrict v = j->v;
    SUBNORMALS_AS_ZERO;
    for (int64_t i = lo; i < hi; i++) {
        const float c = coef[i], e = damp[i], d1 = decay1[i], d2 = decay2[i];
        if (c == 0.0f && d1 == 1.0f && d2 == 1.0f) continue;
        const int64_t r = (start + i) * h;
        float *restrict mr = m + r, *restrict vr = v + r;
        move_row(w + r, mr, vr, h, c, e);
        for (int64_t k = 0; k < h; k++) {
            mr[k] *= d1;
            vr[k] *= d2;
        }
    }
    RESTORE_SUBNORMALS;
}

void catch_up(float *w, float *m, float *v, int64_t h, int64_t start, int64_t stop,
              const float *coef, const float *damp, const float *decay1, const float *decay2,
              int64_t threads) {
    job_t job = {.w = w, .m = m, .v = v, .h = h, .start = start, .coef = coef, .damp = damp,
                 .decay1 = decay1, .decay2 = decay2};
    parallel(threads, stop - start, 1024, catch_up_part, &job);
}

#ifdef __cplusplus
}
#endif
