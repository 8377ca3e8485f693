/*
 * Files. Nothing appears under its final name before it is complete: a new
 * file is written unnamed (O_TMPFILE, or a hidden temporary name where the
 * file system lacks it) and then linked into place, which also fails rather
 * than replace a file someone else made. Rows added to a shared file go in
 * with one write() on an O_APPEND descriptor, so concurrent processes never
 * interleave. A missing, unwritable or full directory means no record,
 * quietly. Every descriptor is close-on-exec and closed before returning.
 */
#include "collector.h"

#include <errno.h>
#include <sys/stat.h>

/* linkat(AT_EMPTY_PATH) allowed? 0 unknown, 1 yes, 2 no. */
#define empty_path_link hot.empty_path_link

/* Room for a file name after the output directory: host and job id are at
 * most 255 bytes each. Paths are sized to fit, to keep the stack small. */
#define NAME_ROOM 640
#define PATH_ROOM (cfg.outdir_len + NAME_ROOM)

/* outdir + the given parts, as a string in dst. */
static int out_path(char *dst, size_t cap, const char *const *parts)
{
    struct buf b = {dst, 0, cap - 1, 0};
    put_str(&b, cfg.outdir);
    for (; *parts; parts++)
        put_str(&b, *parts);
    dst[b.len] = 0;
    return b.overflow ? -1 : 0;
}

static void num(char *dst, size_t cap, int64_t v)
{
    struct buf b = {dst, 0, cap - 1, 0};
    put_i64(&b, v);
    dst[b.len] = 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        long r = k_write(fd, p, n);
        if (r == -EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* A new file in the output directory that has no name yet. If O_TMPFILE is
 * not supported there, a hidden temporary is made and named in tmp. */
static int open_unnamed(char *tmp, size_t cap)
{
    tmp[0] = 0;
    int fd = k_open(cfg.outdir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0 || (fd != -EOPNOTSUPP && fd != -EISDIR && fd != -EINVAL))
        return fd;
    char pid[24], tid[24];
    num(pid, sizeof pid, k_getpid());
    num(tid, sizeof tid, k_gettid());
    const char *parts[] = {".epmt-", pid, "-", tid, ".tmp", NULL};
    if (out_path(tmp, cap, parts) < 0)
        return -1;
    fd = k_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        tmp[0] = 0;
    return fd;
}

static void drop_unnamed(int fd, const char *tmp)
{
    k_close(fd);
    if (tmp[0])
        k_unlink(tmp);
}

/* Gives the complete file the name `final`: 0, or -errno (-EEXIST if the
 * name is taken). */
static int link_final(int fd, const char *tmp, const char *final)
{
    if (tmp[0])
        return k_linkat(AT_FDCWD, tmp, AT_FDCWD, final, 0);
    if (empty_path_link == 0) /* it needs CAP_DAC_READ_SEARCH */
        empty_path_link = k_geteuid() == 0 ? 1 : 2;
    if (empty_path_link == 1) {
        int r = k_linkat(fd, "", AT_FDCWD, final, AT_EMPTY_PATH);
        if (r == 0 || r == -EEXIST)
            return r;
        empty_path_link = 2;
    }
    char proc[48];
    struct buf b = {proc, 0, sizeof proc - 1, 0};
    put_str(&b, "/proc/self/fd/");
    put_i64(&b, fd);
    proc[b.len] = 0;
    return k_linkat(AT_FDCWD, proc, AT_FDCWD, final, AT_SYMLINK_FOLLOW);
}

/* One write of n bytes at the end of a shared file. If the disk filled up
 * part way, the torn tail is taken back (when nobody wrote after it), so
 * the next process's rows do not start in the middle of a line. */
static int append_once(int fd, const char *p, size_t n)
{
    long r;
    do
        r = k_write(fd, p, n);
    while (r == -EINTR);
    if (r == (long)n)
        return 0;
    if (r > 0) {
        long end = k_lseek(fd, 0, SEEK_CUR);
        struct stat sb;
        if (end >= r && k_fstat(fd, &sb) == 0 && sb.st_size == end)
            k_ftruncate(fd, end - r);
    }
    return -1;
}

int output_per_process(struct buf *b, void (*make)(struct buf *, void *),
                       void *arg)
{
    char tmp[PATH_ROOM], final[PATH_ROOM];
    int fd = open_unnamed(tmp, sizeof tmp);
    if (fd < 0) {
        debug_msg("cannot create a file in", cfg.outdir, -fd);
        return -1;
    }
    int ok = -1;
    for (int tries = 0; tries < 100; tries++) {
        make(b, arg);
        if (b->overflow)
            break;
        if (tries > 0 &&
            (k_ftruncate(fd, 0) != 0 || k_lseek(fd, 0, SEEK_SET) != 0))
            break;
        if (write_all(fd, b->p, b->len) < 0)
            break;
        char pid[24], gen[24];
        num(pid, sizeof pid, st.pid);
        num(gen, sizeof gen, st.generation);
        const char *parts[] = {cfg.host, "-papiex-", pid, "-", gen, ".csv",
                               NULL};
        if (out_path(final, sizeof final, parts) < 0)
            break;
        int r = link_final(fd, tmp, final);
        if (r == 0) {
            ok = 0;
            break;
        }
        if (r != -EEXIST)
            break;
        st.generation++; /* an earlier process had this pid */
    }
    drop_unnamed(fd, tmp);
    return ok;
}

/* A header line, made by the process that creates a collated file: rarely,
 * so its buffer is not on every process's path. Up to 16 event names of up
 * to 63 bytes after the fixed columns fit. */
static char header_space[2560];

/* Creates `final` holding the header that `make` formats and then `rest`
 * (may be NULL), if it does not exist yet. Returns 0 if we made it, 1 if it
 * already existed, -1 on error. */
static int create_complete(const char *final, void (*make)(struct buf *),
                           const struct buf *rest)
{
    struct buf h = {header_space, 0, sizeof header_space, 0};
    make(&h);
    if (h.overflow)
        return -1;
    char tmp[PATH_ROOM];
    int fd = open_unnamed(tmp, sizeof tmp);
    if (fd < 0)
        return -1;
    int r = -1;
    /* Two writes: nobody sees the file before it is linked. */
    if (write_all(fd, h.p, h.len) == 0 &&
        (!rest || write_all(fd, rest->p, rest->len) == 0)) {
        int l = link_final(fd, tmp, final);
        r = l == 0 ? 0 : l == -EEXIST ? 1 : -1;
    }
    drop_unnamed(fd, tmp);
    return r;
}

int output_collated_csv(const struct buf *b)
{
    char final[PATH_ROOM];
    const char *parts[] = {cfg.host, "-collated-papiex-", cfg.jobid, "-0.csv",
                           NULL};
    if (out_path(final, sizeof final, parts) < 0)
        return -1;
    for (int tries = 0; tries < 2; tries++) {
        int fd = k_open(final, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
        if (fd >= 0) {
            int r = append_once(fd, b->p, b->len);
            k_close(fd);
            return r;
        }
        if (fd != -ENOENT)
            return -1;
        /* First process of the job on this host: header and rows together,
         * in place at once. If another process was quicker, append. */
        int r = create_complete(final, format_csv_header, b);
        if (r <= 0)
            return r;
    }
    return -1;
}

int output_collated_tsv(const struct buf *line)
{
    char data[PATH_ROOM], head[PATH_ROOM];
    const char *dparts[] = {cfg.host, "-papiex.tsv", NULL};
    const char *hparts[] = {cfg.host, "-papiex-header.tsv", NULL};
    if (out_path(data, sizeof data, dparts) < 0 ||
        out_path(head, sizeof head, hparts) < 0)
        return -1;
    int fd = k_open(data, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
    if (fd < 0) {
        if (fd != -ENOENT)
            return -1;
        /* The header file is in place before the data file exists. */
        if (create_complete(head, format_tsv_header, NULL) < 0)
            return -1;
        fd = k_open(data, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
    }
    int r = append_once(fd, line->p, line->len);
    k_close(fd);
    return r;
}
