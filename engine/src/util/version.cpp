#include "jointreview/version.h"

namespace jointreview {

const char* version() { return JR_VERSION; }

}  // namespace jointreview
