// jemalloc's built-in options for the segx executable (linked only when CMake found jemalloc;
// SEGX_JEMALLOC=OFF builds without it). The MALLOC_CONF environment variable still overrides.
//
// Why: the readers of large inputs (COCO JSON with tens of thousands of RLE masks, panoptic
// manifests) allocate tens of MB in small pieces. On the virtual machines we run on, first-touch
// page faults on 4 KiB pages cost more than the parsing itself: `eval ap` segm on 5,000 images
// spent ~25% of its time in the kernel's fault path. With thp:always jemalloc asks for 2 MiB
// transparent huge pages for its arenas (the kernel's default THP mode "madvise" grants them),
// and the same run takes 0.17 s instead of 0.37 s (scripts/bench_eval_ap.sh measures it).
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface (see jemalloc(3), "malloc_conf").
const char* malloc_conf = "thp:always";
}
