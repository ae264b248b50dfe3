// Ground truth | prediction and the PQ error view on a synthetic scene.
#include "segx/viz/compare.hpp"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "golden.hpp"
#include "segx/core/error.hpp"
#include "synthetic.hpp"

namespace segx::viz {
namespace {

OverlayStyle plain() {
  OverlayStyle s;
  s.min_side = 0;
  s.outline = -1;
  s.labels = false;
  return s;
}

int count_near(const cv::Mat3b& m, cv::Vec3b c) {
  cv::Mat1b mask;
  cv::inRange(m, cv::Scalar(c[0] - 1, c[1] - 1, c[2] - 1), cv::Scalar(c[0] + 1, c[1] + 1, c[2] + 1),
              mask);
  return cv::countNonZero(mask);
}

TEST(Compare, TwoTitledPanelsAndOneLegend) {
  auto image = test::synthetic_image();
  auto gt = test::synthetic_annotation();
  auto pred = gt;
  pred.ids = gt.ids.clone();         // cv::Mat copies share pixels
  pred.ids.setTo(0, pred.ids == 7);  // the prediction misses person 7
  pred.segments.erase(pred.segments.begin() + 4);
  cv::Mat3b out = render_compare(image, gt, pred, test::synthetic_categories(), plain());
  EXPECT_EQ(out.cols, 2 * 640 + 6);
  EXPECT_GT(out.rows, 480);
}

TEST(Compare, ErrorViewColoursEachStatus) {
  auto image = test::synthetic_image();
  auto gt = test::synthetic_annotation();
  auto pred = gt;
  pred.ids = gt.ids.clone();  // cv::Mat copies share pixels
  pred.ids.setTo(0, pred.ids == 7);
  pred.segments.erase(pred.segments.begin() + 4);
  pred.ids(cv::Rect(560, 20, 40, 40)) = 12;  // a false positive in the sky
  pred.segments.push_back({12, 2, false, 0.4});
  ErrorMatching m;
  m.matches = {{1, 1, 0.97}, {2, 2, 0.95}, {5, 5, 0.9}, {6, 6, 0.9}};
  m.false_negatives = {7};
  m.false_positives = {12};
  m.crowd = {9};
  m.ignored = {9};
  auto style = plain();
  cv::Mat3b out = render_errors(image, gt, pred, test::synthetic_categories(), m, style);
  // The false negative is drawn in the left panel, the false positive in the right one.
  cv::Mat3b left = out(cv::Rect(0, 0, 640, out.rows)), right = out(cv::Rect(646, 0, 640, out.rows));
  auto fn_pixel = blend(image(240, 352), kFalseNegative, style.alpha);
  auto fp_pixel = blend(image(40, 580), kFalsePositive, style.alpha);
  EXPECT_GT(count_near(left, fn_pixel), 0);
  EXPECT_GT(count_near(right, fp_pixel), 0);
  EXPECT_EQ(count_near(left, fp_pixel), 0);
  // Where the prediction left pixels empty (person 7's place) they are drawn as void, not left as
  // the bare photo.
  auto no_legend = style;
  no_legend.legend = false;
  cv::Mat3b bare = render_errors(image, gt, pred, test::synthetic_categories(), m, no_legend);
  const int title = bare.rows - 480;
  const cv::Rect person7(330, 170, 44, 140);
  cv::Mat diff;
  cv::absdiff(bare(person7 + cv::Point(646, title)), image(person7), diff);
  EXPECT_GT(cv::mean(diff)[0] + cv::mean(diff)[1] + cv::mean(diff)[2], 30.0);
  test::dump("errors_synthetic", out);

  m.false_positives = {99};
  EXPECT_THROW(render_errors(image, gt, pred, test::synthetic_categories(), m, style), Error);
}

}  // namespace
}  // namespace segx::viz
