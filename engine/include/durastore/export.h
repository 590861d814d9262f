// DURASTORE_EXPORT marks the public API of libdurastore: the classes and functions of the
// public headers. The library is built with hidden visibility by default, so everything
// else (the engine's internals, the test seams) stays out of its dynamic symbol table.
// Usable from C and C++.
#ifndef DURASTORE_EXPORT_H_
#define DURASTORE_EXPORT_H_

#if defined(DURASTORE_BUILDING_LIBRARY) && defined(__GNUC__)
#define DURASTORE_EXPORT __attribute__((visibility("default")))
#else
#define DURASTORE_EXPORT
#endif

#endif  // DURASTORE_EXPORT_H_
