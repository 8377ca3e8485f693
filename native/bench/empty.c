/* Benchmark calibration: a preloaded library that does nothing. */
int epmt_bench_empty;
