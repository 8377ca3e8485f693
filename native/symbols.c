/*
 * The functions we wrap (pthread_create, signal, quick_exit, ...) call on to
 * the next definition after ours, the one dlsym(RTLD_NEXT) would find. We
 * look it up ourselves, in the symbol tables of the objects loaded after us
 * (dl_iterate_phdr lists them in load order): before glibc 2.34 dlsym lives
 * in libdl.so.2, and needing it (or libpthread.so.0) would cost every
 * process the loading of one more library. Only the default version of a
 * symbol is taken (pthread_create@@GLIBC_2.34, not its compatibility
 * aliases), as dlsym does.
 */
#include "collector.h"

#include <elf.h>
#include <link.h>

/* The object holding our code. */
int dl_is_us(const struct dl_phdr_info *info)
{
    uintptr_t me = (uintptr_t)&dl_is_us;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && me >= lo && me < lo + ph->p_memsz)
            return 1;
    }
    return 0;
}

struct wanted {
    const char *name;
    uint32_t gnu, sysv; /* the name's two ELF hashes */
    int past_us;        /* the objects now visited come after ours */
    void *found;
};

static uint32_t gnu_hash(const char *s)
{
    uint32_t h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

static uint32_t sysv_hash(const char *s)
{
    uint32_t h = 0;
    for (; *s; s++) {
        h = (h << 4) + (unsigned char)*s;
        uint32_t g = h & 0xf0000000u;
        if (g)
            h ^= g >> 24;
        h &= ~g;
    }
    return h;
}

/* One object's dynamic symbol tables. glibc has made the addresses in its
 * dynamic section absolute; the vDSO's are still offsets. */
struct tables {
    uintptr_t base;
    const ElfW(Sym) *sym;
    const char *str;
    const uint32_t *gnu, *sysv;
    const ElfW(Half) *versym;
};

static uintptr_t at(uintptr_t base, uintptr_t p)
{
    return p < base ? p + base : p;
}

static int tables_of(const struct dl_phdr_info *info, struct tables *t)
{
    const ElfW(Dyn) *d = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            d = (const ElfW(Dyn) *)(info->dlpi_addr +
                                    info->dlpi_phdr[i].p_vaddr);
    m_zero(t, sizeof *t);
    t->base = info->dlpi_addr;
    for (; d && d->d_tag != DT_NULL; d++) {
        uintptr_t p = at(t->base, d->d_un.d_ptr);
        switch (d->d_tag) {
        case DT_SYMTAB: t->sym = (const ElfW(Sym) *)p; break;
        case DT_STRTAB: t->str = (const char *)p; break;
        case DT_GNU_HASH: t->gnu = (const uint32_t *)p; break;
        case DT_HASH: t->sysv = (const uint32_t *)p; break;
        case DT_VERSYM: t->versym = (const ElfW(Half) *)p; break;
        }
    }
    return t->sym && t->str && (t->gnu || t->sysv);
}

/* Symbol i is a definition of w->name in its default version: its address,
 * else NULL. */
static void *take(const struct tables *t, uint32_t i, const struct wanted *w)
{
    const ElfW(Sym) *s = &t->sym[i];
    int type = s->st_info & 0xf, bind = s->st_info >> 4; /* ELF32 = ELF64 */
    if (s->st_shndx == SHN_UNDEF || s->st_value == 0 ||
        (type != STT_FUNC && type != STT_GNU_IFUNC) ||
        (bind != STB_GLOBAL && bind != STB_WEAK) ||
        !s_eq(t->str + s->st_name, w->name))
        return NULL;
    /* Version index 0 is local; the high bit marks a hidden (non-default)
     * version. */
    if (t->versym && ((t->versym[i] & 0x8000) || t->versym[i] == 0))
        return NULL;
    void *f = (void *)(t->base + s->st_value);
    if (type == STT_GNU_IFUNC) /* the resolver says which one */
        f = ((void *(*)(void))f)();
    return f;
}

static void *find_gnu(const struct tables *t, const struct wanted *w)
{
    const uint32_t *h = t->gnu;
    uint32_t nbuckets = h[0], offset = h[1], nbloom = h[2], shift = h[3];
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)&h[4];
    const uint32_t *buckets = (const uint32_t *)&bloom[nbloom];
    const uint32_t *chain = &buckets[nbuckets];
    const unsigned bits = sizeof(ElfW(Addr)) * 8;
    if (nbuckets == 0 || nbloom == 0)
        return NULL;
    ElfW(Addr) word = bloom[(w->gnu / bits) % nbloom];
    ElfW(Addr) mask = (ElfW(Addr))1 << (w->gnu % bits) |
                      (ElfW(Addr))1 << ((w->gnu >> shift) % bits);
    if ((word & mask) != mask)
        return NULL;
    uint32_t i = buckets[w->gnu % nbuckets];
    if (i < offset)
        return NULL;
    for (;; i++) {
        uint32_t h2 = chain[i - offset];
        void *f = (h2 | 1) == (w->gnu | 1) ? take(t, i, w) : NULL;
        if (f)
            return f;
        if (h2 & 1)
            return NULL;
    }
}

static void *find_sysv(const struct tables *t, const struct wanted *w)
{
    uint32_t nbucket = t->sysv[0];
    const uint32_t *bucket = &t->sysv[2], *chain = &bucket[nbucket];
    if (nbucket == 0)
        return NULL;
    for (uint32_t i = bucket[w->sysv % nbucket]; i; i = chain[i]) {
        void *f = take(t, i, w);
        if (f)
            return f;
    }
    return NULL;
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct wanted *w = arg;
    if (!w->past_us) {
        w->past_us = dl_is_us(info);
        return 0;
    }
    struct tables t;
    if (!tables_of(info, &t))
        return 0;
    w->found = t.gnu ? find_gnu(&t, w) : find_sysv(&t, w);
    return w->found != NULL;
}

void *dlsym_next(const char *name)
{
    struct wanted w = {name, gnu_hash(name), sysv_hash(name), 0, NULL};
    dl_iterate_phdr(visit, &w);
    return w.found;
}
