/* JR_EXPORT marks what the shared library exports: the public C++ API and
 * the C API (JR_API in jointreview.h). Everything else is built with hidden
 * visibility (-fvisibility=hidden) and stays inside the library. Plain C,
 * so that jointreview.h can include it. */
#ifndef JOINTREVIEW_EXPORT_H
#define JOINTREVIEW_EXPORT_H

#if defined(_WIN32)
#  if defined(JR_BUILDING_LIBRARY)
#    define JR_EXPORT __declspec(dllexport)
#  elif defined(JR_STATIC)
#    define JR_EXPORT
#  else
#    define JR_EXPORT __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define JR_EXPORT __attribute__((visibility("default")))
#else
#  define JR_EXPORT
#endif

#endif
