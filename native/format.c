/*
 * Text: papiex's CSV (header, one row per thread, backslash escaping, no
 * quoting) and its collated TSV line. Formatting is our own, into a buffer
 * the writer sized beforehand, so it is safe in a signal handler.
 */
#include "collector.h"

/* Columns before the metrics; the first 14 belong to the process and are
 * left empty in every row but the first. */
static const char csv_lead[] =
    "tags,hostname,exename,path,args,exitcode,exitsignal,pid,generation,"
    "ppid,pgid,sid,numtids,mpinumranks,tid,mpirank,start,end";
static const char tsv_tail[] =
    "tags\thostname\texename\tpath\texitcode\texitsignal\tpid\tgeneration\t"
    "ppid\tpgid\tsid\tnumtids\tstart\tend\targs";

#define NUM_MAX 21 /* digits of the longest 64-bit number, and a separator */

static void put_char(struct buf *b, char c)
{
    if (b->len < b->cap)
        b->p[b->len++] = c;
    else
        b->overflow = 1;
}

void put_mem(struct buf *b, const char *s, size_t n)
{
    if (n > b->cap - b->len) {
        n = b->cap - b->len;
        b->overflow = 1;
    }
    m_copy(b->p + b->len, s, n);
    b->len += n;
}

void put_str(struct buf *b, const char *s)
{
    put_mem(b, s, s_len(s));
}

void put_u64(struct buf *b, uint64_t v)
{
    char d[NUM_MAX];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put_char(b, d[--n]);
}

void put_i64(struct buf *b, int64_t v)
{
    if (v < 0) {
        put_char(b, '-');
        put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else
        put_u64(b, (uint64_t)v);
}

/* Control characters become \a \b \f \n \r \t \v. The CSV form also writes
 * a backslash as \\ and a comma as \, ; the TSV form leaves both as they
 * are (papiex does; such TSV text cannot be decoded without ambiguity). */
static void put_escaped(struct buf *b, const char *s, size_t n, int csv)
{
    static const char letter[16] = {0, 0, 0, 0, 0, 0, 0, 'a',
                                    'b', 't', 'n', 'v', 'f', 'r', 0, 0};
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 0 && c < 16 && letter[(int)c]) {
            put_char(b, '\\');
            put_char(b, letter[(int)c]);
        } else if (csv && (c == '\\' || c == ',')) {
            put_char(b, '\\');
            put_char(b, c);
        } else
            put_char(b, c);
    }
}

size_t format_bound(unsigned nrows)
{
    size_t fixed = sizeof csv_lead + sizeof tsv_tail + 64;
    for (int k = 0; k < M_COUNT; k++)
        fixed += s_len(metric_names[k]) + 1;
    fixed += (size_t)cfg.nevents * (EVENT_NAME_MAX + 1);
    size_t strings = s_len(cfg.tags) + s_len(cfg.host) +
                     s_len(cfg.exename) + PATH_MAX + cfg.args_len;
    size_t row = (size_t)(4 + M_COUNT + cfg.nevents) * NUM_MAX + 16;
    return fixed + 2 * strings + 14 * NUM_MAX + (size_t)(nrows + 1) * row;
}

/* Value of metric k in row i: process-wide metrics in the first row only;
 * after exec, the main thread's counters less what earlier images used. */
static uint64_t value(const struct slot *s, unsigned i, int k)
{
    uint64_t v, base = 0;
    if (metric_is_process_scope(k)) {
        if (i != 0)
            return 0;
        v = st.pscope[k];
        if (st.has_base)
            base = st.base[k];
    } else {
        v = s->m[k];
        if (s->has_base)
            base = s->base[k];
    }
    if (metric_is_counter(k))
        v = v > base ? v - base : 0;
    return v;
}

/* Event e of a row, -1 if not counted. */
static int64_t event(const struct slot *s, int e)
{
    if (s->ev[e] < 0)
        return -1;
    return s->ev[e] > s->evbase[e] ? s->ev[e] - s->evbase[e] : 0;
}

static int64_t row_start(const struct slot *s, unsigned i)
{
    return i == 0 ? st.start_us : s->start_us;
}

static int64_t row_end(const struct slot *s, unsigned i)
{
    return i == 0 ? st.end_us : s->end_us;
}

void format_csv_header(struct buf *b)
{
    put_str(b, csv_lead);
    for (int k = 0; k < M_COUNT; k++) {
        put_char(b, ',');
        put_str(b, metric_names[k]);
    }
    for (int e = 0; e < cfg.nevents; e++) {
        put_char(b, ',');
        put_str(b, cfg.events[e].name);
    }
    put_char(b, '\n');
}

static void put_csv_field(struct buf *b, const char *s, size_t n)
{
    put_escaped(b, s, n, 1);
    put_char(b, ',');
}

static void put_num_field(struct buf *b, int64_t v, char sep)
{
    put_i64(b, v);
    put_char(b, sep);
}

void format_csv_rows(struct buf *b, struct slot *const *rows, unsigned n,
                     const char *path, pid_t pgid, pid_t sid)
{
    for (unsigned i = 0; i < n; i++) {
        const struct slot *s = rows[i];
        if (i == 0) {
            put_csv_field(b, cfg.tags, s_len(cfg.tags));
            put_csv_field(b, cfg.host, s_len(cfg.host));
            put_csv_field(b, cfg.exename, s_len(cfg.exename));
            put_csv_field(b, path, s_len(path));
            put_csv_field(b, cfg.args, cfg.args_len);
            put_num_field(b, st.exitcode, ',');
            put_num_field(b, st.exitsignal, ',');
            put_num_field(b, st.pid, ',');
            put_num_field(b, st.generation, ',');
            put_num_field(b, st.ppid, ',');
            put_num_field(b, pgid, ',');
            put_num_field(b, sid, ',');
            put_num_field(b, n, ',');
            put_num_field(b, cfg.mpinumranks, ',');
        } else
            put_str(b, ",,,,,,,,,,,,,,");
        put_num_field(b, s->tid, ',');
        put_num_field(b, cfg.mpirank, ',');
        put_num_field(b, row_start(s, i), ',');
        put_i64(b, row_end(s, i));
        for (int k = 0; k < M_COUNT; k++) {
            put_char(b, ',');
            put_u64(b, value(s, i, k));
        }
        /* An event that was not counted is an empty column. */
        for (int e = 0; e < cfg.nevents; e++) {
            put_char(b, ',');
            if (s->ev[e] >= 0)
                put_i64(b, event(s, e));
        }
        put_char(b, '\n');
    }
}

void format_tsv_header(struct buf *b)
{
    put_char(b, '{');
    for (int k = 0; k < M_COUNT; k++) {
        if (k)
            put_char(b, ',');
        put_str(b, metric_names[k]);
    }
    for (int e = 0; e < cfg.nevents; e++) {
        put_char(b, ',');
        put_str(b, cfg.events[e].name);
    }
    put_str(b, "}\t");
    put_str(b, tsv_tail);
    put_char(b, '\n');
}

static void put_tsv_field(struct buf *b, const char *s, size_t n)
{
    put_escaped(b, s, n, 0);
    put_char(b, '\t');
}

void format_tsv_line(struct buf *b, struct slot *const *rows, unsigned n,
                     const char *path, pid_t pgid, pid_t sid)
{
    put_char(b, '{');
    for (unsigned i = 0; i < n; i++) {
        for (int k = 0; k < M_COUNT; k++) {
            if (i || k)
                put_char(b, ',');
            put_u64(b, value(rows[i], i, k));
        }
        /* The array must hold a number: -1 for an event not counted. */
        for (int e = 0; e < cfg.nevents; e++) {
            put_char(b, ',');
            put_i64(b, event(rows[i], e));
        }
    }
    put_str(b, "}\t");
    put_tsv_field(b, cfg.tags, s_len(cfg.tags));
    put_tsv_field(b, cfg.host, s_len(cfg.host));
    put_tsv_field(b, cfg.exename, s_len(cfg.exename));
    put_tsv_field(b, path, s_len(path));
    put_num_field(b, st.exitcode, '\t');
    put_num_field(b, st.exitsignal, '\t');
    put_num_field(b, st.pid, '\t');
    put_num_field(b, st.generation, '\t');
    put_num_field(b, st.ppid, '\t');
    put_num_field(b, pgid, '\t');
    put_num_field(b, sid, '\t');
    put_num_field(b, n, '\t');
    put_num_field(b, n ? row_start(rows[0], 0) : st.start_us, '\t');
    put_num_field(b, n ? row_end(rows[0], 0) : st.end_us, '\t');
    put_escaped(b, cfg.args, cfg.args_len, 0);
    put_char(b, '\n');
}
