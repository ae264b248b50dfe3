// The text of segx-manifest(5): segx's own JSON Lines manifest and the formats it reads.
#include "docgen.hpp"

namespace segx::cli {

const char* manifest_man_page() {
  return R"(.TH "segx-manifest" "5" "" "segx" "segx manual"
.SH NAME
segx\-manifest \- the JSON Lines dataset manifest read and written by segx
.SH DESCRIPTION
A segx manifest is a JSON Lines file (one JSON object per line, UTF\-8). The first line is a
\fBheader\fR record; every further line is an \fBimage\fR record. Records are modelled on
detectron2's dataset dicts, so the same keys mean the same things. Fields that segx does not know
are kept unchanged by every command that rewrites records, so manifests compose through pipes:
\fBsegx convert ... | segx vocab apply ... | segx train\fR.
.SS Header record
.nf
{"type": "header", "segx_manifest": 1, "dataset": "coco_panoptic_val",
 "root": "/data/coco",
 "categories": [{"id": 1, "name": "person", "isthing": 1,
                 "color": [220, 20, 60], "supercategory": "person"}, ...]}
.fi
.TP
\fBsegx_manifest\fR
format version (integer, currently 1).
.TP
\fBdataset\fR
the dataset name used by vocabularies and training configurations.
.TP
\fBroot\fR
optional directory against which relative paths in image records are resolved; when absent,
paths are relative to the directory of the manifest file (or the working directory for stdin).
.TP
\fBcategories\fR
the label space: \fBid\fR (integer, unique), \fBname\fR, \fBisthing\fR (0/1), optional
\fBcolor\fR [R, G, B] and \fBsupercategory\fR.
.SS Image record
.nf
{"type": "image", "image_id": 139, "file_name": "images/000000000139.jpg",
 "height": 426, "width": 640,
 "pan_seg_file_name": "panoptic/000000000139.png",
 "segments_info": [{"id": 3226956, "category_id": 1, "iscrowd": 0,
                    "area": 5466, "bbox": [x, y, w, h]}, ...],
 "sem_seg_file_name": "semantic/000000000139.png",
 "annotations": [{"id": 1, "category_id": 1, "iscrowd": 0, "area": 5466,
                  "bbox": [x, y, w, h],
                  "segmentation": {"size": [426, 640], "counts": "..."},
                  "score": 0.97}, ...]}
.fi
.TP
\fBimage_id\fR, \fBfile_name\fR, \fBheight\fR, \fBwidth\fR
the image; ids are unique within a manifest.
.TP
\fBpan_seg_file_name\fR, \fBsegments_info\fR
a COCO panoptic PNG (segment id = R + 256 G + 256\(ha2 B, 0 = void) and its segments, as in the
COCO panoptic JSON. A segment may carry \fBsegmentation\fR as COCO RLE in addition to (or
instead of) the PNG; predictions carry \fBscore\fR.
.TP
\fBsem_seg_file_name\fR
a semantic label PNG (8 or 16 bit, or palette); its id scheme is given by the header's
optional \fBsemantic_ids\fR: "category" (raw category ids, 0 unlabeled), "contiguous"
(0..N\-1, 255 ignore) or "panoptic_fpn" (things 0, stuff 1..N). A header with
\fB"reduce_zero_label": true\fR (ADE20K) says that label 0 is ignored and ids 1..N stand for
contiguous 0..N\-1. Cityscapes records also carry \fBinstance_ids_file_name\fR (the gtFine
instanceIds PNG).
.TP
\fBannotations\fR
instances as in COCO instances JSON: \fBsegmentation\fR is a COCO RLE (compressed string or
uncompressed counts) or a list of polygons; \fBbbox\fR is [x, y, width, height] in pixels.
.SS Reading
Manifests are read one line at a time, so memory does not grow with their length; blank lines are
skipped; an error names the file, line and column. \fB\-\fR reads standard input, with relative
paths resolved from the working directory unless the header has a \fBroot\fR.
.SH OTHER FORMATS
segx also reads and writes COCO instances JSON, COCO results JSON, COCO panoptic JSON with its
PNG folder, semantic label PNG folders, and the Cityscapes and ADE20K directory layouts; see
\fBsegx\-convert\fR(1).
.SH SEE ALSO
\fBsegx\fR(1), \fBsegx\-convert\fR(1)
)";
}

}  // namespace segx::cli
