// The library's version.
#pragma once

#include "jointreview/export.h"

namespace jointreview {

// "MAJOR.MINOR.PATCH" of the library that is running (not of the headers).
JR_EXPORT const char* version();

}  // namespace jointreview
