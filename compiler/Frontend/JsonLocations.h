//===- JsonLocations.h - Where each value of a JSON document starts -------===//
//
// nlohmann::json 3.11 keeps no positions, so a second, small scan of the
// (already validated) text records them by JSON pointer.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_FRONTEND_JSONLOCATIONS_H
#define ALEXC_FRONTEND_JSONLOCATIONS_H

#include "Frontend/SourceLocation.h"

namespace alexc {

/// Locations of the values of `text`, which must be valid JSON: object
/// members at their keys, array elements at their first character.
SpecLocations locateJsonValues(const std::string &text);

} // namespace alexc

#endif
