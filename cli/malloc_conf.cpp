// jemalloc's built-in options for the segx executable (linked only when CMake found jemalloc;
// SEGX_JEMALLOC=OFF builds without it). The MALLOC_CONF environment variable still overrides.
//
// Why: the readers of large inputs (COCO JSON with tens of thousands of RLE masks, panoptic
// manifests) allocate tens of MB in small pieces. On the virtual machines we run on, first-touch
// page faults on 4 KiB pages cost more than the parsing itself: perf showed `eval ap` segm on
// 5,000 images spending about a quarter of its time in the kernel's fault path. With thp:always
// jemalloc asks for 2 MiB transparent huge pages for its arenas (the kernel's default THP mode
// "madvise" grants them), which removes most of those faults (scripts/bench_eval_ap.sh times
// the result against the peers).
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface (see jemalloc(3), "malloc_conf").
const char* malloc_conf = "thp:always";
}
