// The library's version.
#pragma once

namespace jointreview {

// "MAJOR.MINOR.PATCH" of the library that is running (not of the headers).
const char* version();

}  // namespace jointreview
