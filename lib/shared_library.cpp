// The shared library segx::segx (lib/CMakeLists.txt) is the static libraries segx_core and
// segx_torch linked whole; CMake wants one source file of the target's own, and this is it.
