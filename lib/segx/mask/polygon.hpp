// Polygons and boxes to RLE with pycocotools' rasterisation (rleFrPoly, rleFrBbox) and the
// frPyObjects conventions that COCO annotations rely on.
#pragma once
#include <vector>

#include "segx/mask/rle.hpp"

namespace segx::mask {

// One polygon x0,y0,x1,y1,... (an odd trailing value is ignored, as in pycocotools).
Rle from_polygon(const std::vector<double>& xy, uint32_t height, uint32_t width);
// A box x,y,w,h rasterised as its 4-corner polygon.
Rle from_box(const Box& box, uint32_t height, uint32_t width);

// A COCO polygon segmentation (list of polygons) as COCO.annToRLE: each polygon rasterised,
// then the parts merged by union. frPyObjects only accepts the list when its first polygon has
// more than 4 values (3 points); otherwise this throws Error(DataError), as pycocotools fails.
Rle from_polygons(const std::vector<std::vector<double>>& polygons, uint32_t height,
                  uint32_t width);

}  // namespace segx::mask
