// DURASTORE_EXPORT marks the public API of libdurastore: the classes and functions of the
// public headers. The library is built with hidden visibility by default, so everything
// else (the engine's internals, the test seams) stays out of its dynamic symbol table.
// Usable from C and C++.
#ifndef DURASTORE_EXPORT_H_
#define DURASTORE_EXPORT_H_

// In C++ it is a standard attribute, so that it can stand beside others: GCC accepts no
// __attribute__ next to `class [[nodiscard]]`. Write it first in a function declaration
// (`DURASTORE_EXPORT Status Foo();`) and after class/struct (`class DURASTORE_EXPORT Foo`).
#if defined(DURASTORE_BUILDING_LIBRARY) && defined(__GNUC__) && defined(__cplusplus)
#define DURASTORE_EXPORT [[gnu::visibility("default")]]
#elif defined(DURASTORE_BUILDING_LIBRARY) && defined(__GNUC__)
#define DURASTORE_EXPORT __attribute__((visibility("default")))
#else
#define DURASTORE_EXPORT
#endif

// DURASTORE_NO_EXPORT (as CMake's export headers have it) marks the definition of a class
// nested in an exported one, such as Store::Impl: a nested class takes the visibility of
// the class around it. For the library's own headers.
#if defined(DURASTORE_BUILDING_LIBRARY) && defined(__GNUC__) && defined(__cplusplus)
#define DURASTORE_NO_EXPORT [[gnu::visibility("hidden")]]
#else
#define DURASTORE_NO_EXPORT
#endif

#endif  // DURASTORE_EXPORT_H_
