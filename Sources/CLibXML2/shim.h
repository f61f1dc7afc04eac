#include <libxml/xmlversion.h>
// libxml2's encoding header would bring in the system's ICU, which clashes with the ICU Foundation
// ships (_FoundationICU). Nothing the sidecar calls uses ICU: it only changes the layout of the
// encoding handler, which is reached through pointers and never read here.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
