// Hungarian matcher and SetCriterion, following Mask2Former's matcher.py and criterion.py, and
// the original MaskFormer's for CriterionVariant::MaskFormer.
#include "segx/train/set_criterion.hpp"

#include <torch/nn/functional.h>

#include "segx/core/error.hpp"
#include "segx/train/box_projection.hpp"
#include "segx/train/contrastive_loss.hpp"
#include "segx/train/label_space.hpp"
#include "segx/train/mask_losses.hpp"
#include "segx/train/semantic_merge.hpp"

namespace segx::train {
namespace F = torch::nn::functional;

namespace {

// The matching costs [Q, N] of one image, summed in upstream's order (mask, class, dice).
// out: [Q, h, w] logits; tgt: [N, Ht, Wt]; class_cost: [Q, N], already weighted.

// Mask2Former: sigmoid-CE and dice costs on random points, one set shared by all masks so that
// the cost matrix is cheap to build.
torch::Tensor point_mask_cost(const torch::Tensor& out, const torch::Tensor& tgt,
                              const torch::Tensor& class_cost, const CriterionOptions& options,
                              at::Generator* generator) {
  auto points = random_points(1, options.num_points, out.options(), generator);
  auto out_masks = out.unsqueeze(1);
  auto tgt_masks = tgt.to(out_masks.options()).unsqueeze(1);
  auto tgt_points =
      point_sample(tgt_masks, points.repeat({tgt.size(0), 1, 1})).squeeze(1).to(torch::kFloat);
  auto out_points =
      point_sample(out_masks, points.repeat({out.size(0), 1, 1})).squeeze(1).to(torch::kFloat);
  return options.mask_weight * batch_sigmoid_ce_cost(out_points, tgt_points) + class_cost +
         options.dice_weight * batch_dice_cost(out_points, tgt_points);
}

// MaskFormer: focal and dice costs on every pixel of the predictions' grid, the targets
// nearest-downsampled to it.
torch::Tensor whole_mask_cost(const torch::Tensor& out, const torch::Tensor& tgt,
                              const torch::Tensor& class_cost, const CriterionOptions& options) {
  auto small = at::upsample_nearest2d(tgt.to(out.options()).unsqueeze(1),
                                      {out.size(1), out.size(2)}, c10::nullopt, c10::nullopt);
  auto tgt_flat = small.squeeze(1).flatten(1).to(torch::kFloat);
  auto out_flat = out.flatten(1).to(torch::kFloat);
  return options.mask_weight * batch_sigmoid_focal_cost(out_flat, tgt_flat) + class_cost +
         options.dice_weight * batch_dice_cost(out_flat, tgt_flat);
}

// Masks [Ht_i, Wt_i] zero-padded to the largest height and width and stacked, as upstream's
// nested_tensor_from_tensor_list.
torch::Tensor pad_and_stack(const std::vector<torch::Tensor>& masks) {
  int64_t h = 0, w = 0;
  for (const auto& m : masks) {
    h = std::max(h, m.size(0));
    w = std::max(w, m.size(1));
  }
  std::vector<torch::Tensor> padded;
  for (const auto& m : masks)
    padded.push_back(F::pad(m, F::PadFuncOptions({0, w - m.size(1), 0, h - m.size(0)})));
  return torch::stack(padded);
}

// Adds scale * rows[k] to the loss of image images[k].
void add_rows(std::vector<double>& image_losses, const std::vector<int64_t>& images,
              const torch::Tensor& rows, double scale) {
  auto values = rows.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const double* v = values.data_ptr<double>();
  for (std::size_t k = 0; k < images.size(); ++k)
    image_losses[static_cast<std::size_t>(images[k])] += scale * v[k];
}

}  // namespace

std::vector<Assignment> hungarian_match(const LayerPredictions& predictions,
                                        const std::vector<InstanceTargets>& targets,
                                        const CriterionOptions& options,
                                        ImageGenerators* generators) {
  torch::NoGradGuard no_grad;
  const auto batch = predictions.class_logits.size(0);
  const auto num_queries = predictions.class_logits.size(1);
  std::vector<Assignment> result;
  for (int64_t b = 0; b < batch; ++b) {
    const auto& target = targets.at(b);
    const auto num_targets = target.labels.size(0);
    if (num_targets == 0 || target.merge_classes) {
      result.emplace_back();
      continue;
    }
    auto logits = predictions.class_logits[b];
    if (target.label_space.defined()) logits = restrict_to_label_space(logits, target.label_space);
    auto probs = logits.softmax(-1);
    auto cost_class = -probs.index_select(1, target.labels.to(probs.device()));
    if (target.box_only()) {
      auto cost = options.projection_weight *
                      batch_box_projection_cost(predictions.mask_logits[b], target.boxes) +
                  options.class_weight * cost_class.to(torch::kFloat);
      auto cpu = cost.reshape({num_queries, num_targets}).to(torch::kCPU, torch::kDouble).contiguous();
      result.push_back(linear_sum_assignment(cpu.data_ptr<double>(), static_cast<int>(num_queries),
                                             static_cast<int>(num_targets)));
      continue;
    }
    const auto& out = predictions.mask_logits[b];
    auto class_cost = options.class_weight * cost_class.to(torch::kFloat);
    auto cost = options.variant == CriterionVariant::MaskFormer
                    ? whole_mask_cost(out, target.masks, class_cost, options)
                    : point_mask_cost(out, target.masks, class_cost, options,
                                      generators ? &generators->at(b) : nullptr);
    auto cpu = cost.reshape({num_queries, num_targets}).to(torch::kCPU, torch::kDouble).contiguous();
    result.push_back(linear_sum_assignment(cpu.data_ptr<double>(), static_cast<int>(num_queries),
                                           static_cast<int>(num_targets)));
  }
  return result;
}

SetCriterion::SetCriterion(CriterionOptions options) : options_(options) {
  if (options_.num_classes <= 0) fail(ErrorKind::Config, "criterion: num_classes must be positive");
  if (options_.oversample_ratio < 1 || options_.importance_ratio < 0 || options_.importance_ratio > 1)
    fail(ErrorKind::Config, "criterion: need oversample_ratio >= 1 and importance_ratio in [0, 1]");
}

void SetCriterion::ignore_queries_on_unlabeled(const LayerPredictions& layer,
                                               const std::vector<InstanceTargets>& targets,
                                               torch::Tensor& target_classes,
                                               int64_t ignore) const {
  // A decision about the targets, not a loss: no gradient flows through it.
  torch::NoGradGuard no_grad;
  for (std::size_t b = 0; b < targets.size(); ++b) {
    const auto& t = targets[b];
    if (!t.unlabeled.defined() || t.merge_classes) continue;
    const auto i = static_cast<int64_t>(b);
    auto masks = layer.mask_logits[i].to(torch::kFloat).sigmoid();  // [Q, h, w]
    // The unlabelled share of each pixel of the masks' grid (area average of the targets' grid).
    auto unlabeled = F::adaptive_avg_pool2d(t.unlabeled.to(masks.device(), torch::kFloat)
                                                .unsqueeze(0)
                                                .unsqueeze(0),
                                            F::AdaptiveAvgPool2dFuncOptions(
                                                {masks.size(1), masks.size(2)}))
                         .view({1, masks.size(1), masks.size(2)});
    auto share = (masks * unlabeled).sum({1, 2}) / masks.sum({1, 2}).clamp_min(1e-6);
    auto row = target_classes[i];
    auto drop = row.eq(options_.num_classes) & share.gt(options_.unlabeled_ignore);
    row.masked_fill_(drop, ignore);
  }
}

std::map<std::string, torch::Tensor> SetCriterion::layer_losses(
    const LayerPredictions& layer, const std::vector<InstanceTargets>& targets, double num_masks,
    ImageGenerators* generators, double class_normalizer,
    std::vector<double>& image_losses) const {
  auto indices = hungarian_match(layer, targets, options_, generators);
  const auto device = layer.class_logits.device();
  auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(device);

  // Classification: every unmatched query is "no object", down-weighted by no_object_weight.
  auto logits = layer.class_logits.to(torch::kFloat);
  bool restricted = false;
  for (const auto& t : targets) restricted = restricted || t.label_space.defined();
  if (restricted) {  // per image: images without a space keep every class
    std::vector<torch::Tensor> spaces;
    for (const auto& t : targets)
      spaces.push_back(t.label_space.defined() ? t.label_space.to(torch::kCPU, torch::kBool)
                                               : torch::ones({options_.num_classes}, torch::kBool));
    logits = restrict_to_label_space(logits, torch::stack(spaces));
  }
  auto target_classes = torch::full({logits.size(0), logits.size(1)}, options_.num_classes, long_opts);
  std::vector<int64_t> batch_idx, query_idx, target_batch_idx, target_idx;
  for (std::size_t b = 0; b < indices.size(); ++b) {
    auto labels = targets[b].labels.to(torch::kCPU);
    for (std::size_t k = 0; k < indices[b].rows.size(); ++k) {
      int64_t q = indices[b].rows[k], t = indices[b].cols[k];
      target_classes.index_put_({static_cast<int64_t>(b), q}, labels[t].item<int64_t>());
      batch_idx.push_back(static_cast<int64_t>(b));
      query_idx.push_back(q);
      target_idx.push_back(t);
    }
  }
  // Images with merged semantic targets have no matched queries: none of their queries is
  // taught "no object" (kIgnore), their labels reach the classes through the merged masks.
  constexpr int64_t kIgnore = -100;
  bool any_merged = false, all_merged = true;
  for (std::size_t b = 0; b < targets.size(); ++b) {
    any_merged = any_merged || targets[b].merge_classes;
    all_merged = all_merged && targets[b].merge_classes;
    if (targets[b].merge_classes) target_classes[static_cast<int64_t>(b)].fill_(kIgnore);
  }
  if (options_.unlabeled_ignore > 0) ignore_queries_on_unlabeled(layer, targets, target_classes, kIgnore);
  auto weight = torch::ones({options_.num_classes + 1}, logits.options());
  weight[options_.num_classes] = options_.no_object_weight;
  std::map<std::string, torch::Tensor> losses;
  auto zero = layer.mask_logits.sum() * 0.0;  // keeps the graph where a term has no pairs
  if (any_merged) {
    auto ce = zero, dice = zero;
    for (std::size_t b = 0; b < targets.size(); ++b) {
      if (!targets[b].merge_classes) continue;
      auto merged = merged_semantic_losses(logits[static_cast<int64_t>(b)],
                                           layer.mask_logits[static_cast<int64_t>(b)],
                                           targets[b].labels, targets[b].masks,
                                           options_.num_points,
                                           generators ? &generators->at(b) : nullptr);
      ce = ce + merged.cross_entropy;
      dice = dice + merged.dice;
      image_losses[b] += (options_.mask_weight * merged.cross_entropy.item<double>() +
                          options_.dice_weight * merged.dice.item<double>()) /
                         num_masks;
    }
    losses["loss_merge_ce"] = ce / num_masks;
    losses["loss_merge_dice"] = dice / num_masks;
  }
  if (all_merged)
    losses["loss_ce"] = zero;
  else if (class_normalizer > 0)
    losses["loss_ce"] = F::cross_entropy(logits.transpose(1, 2), target_classes,
                                         F::CrossEntropyFuncOptions().weight(weight).reduction(torch::kSum)) /
                        class_normalizer;
  else
    losses["loss_ce"] = F::cross_entropy(logits.transpose(1, 2), target_classes,
                                         F::CrossEntropyFuncOptions().weight(weight));
  if (!all_merged) {  // each image's queries' part of the (weighted) sum, over its denominator
    torch::NoGradGuard no_grad;
    auto per_query = F::cross_entropy(logits.transpose(1, 2), target_classes,
                                      F::CrossEntropyFuncOptions().weight(weight).reduction(torch::kNone));
    double denominator = class_normalizer;
    if (denominator <= 0)
      denominator = (weight.index({target_classes.clamp_min(0)}) * target_classes.ne(kIgnore))
                        .sum()
                        .item<double>();
    auto per_image = per_query.sum(1).to(torch::kCPU, torch::kDouble);
    for (std::size_t b = 0; b < targets.size(); ++b)
      image_losses[b] += options_.class_weight * per_image[static_cast<int64_t>(b)].item<double>() /
                         denominator;
  }

  // Boxes-only images: the projection loss on their matched pairs; the rest go on below.
  bool any_box_only = false;
  for (const auto& t : targets) any_box_only = any_box_only || t.box_only();
  std::vector<int64_t> mask_b, mask_q, mask_t, box_b, box_q;
  std::vector<torch::Tensor> matched_boxes;
  for (std::size_t k = 0; k < batch_idx.size(); ++k) {
    const auto& t = targets[batch_idx[k]];
    if (t.box_only()) {
      box_b.push_back(batch_idx[k]);
      box_q.push_back(query_idx[k]);
      matched_boxes.push_back(t.boxes[target_idx[k]]);
    } else {
      mask_b.push_back(batch_idx[k]);
      mask_q.push_back(query_idx[k]);
      mask_t.push_back(target_idx[k]);
    }
  }
  if (any_box_only) {
    if (box_b.empty()) {
      losses["loss_proj"] = zero;
    } else {
      auto rows = box_projection_rows(
          layer.mask_logits.index({torch::tensor(box_b, long_opts), torch::tensor(box_q, long_opts)}),
          torch::stack(matched_boxes).to(device));
      losses["loss_proj"] = rows.sum() / num_masks;
      add_rows(image_losses, box_b, rows, options_.projection_weight / num_masks);
    }
  }
  batch_idx = std::move(mask_b);
  query_idx = std::move(mask_q);
  target_idx = std::move(mask_t);
  if (batch_idx.empty()) {  // no mask targets in the batch: mask losses are zero
    losses["loss_mask"] = zero;
    losses["loss_dice"] = zero;
    return losses;
  }
  auto src_masks = layer.mask_logits.index({torch::tensor(batch_idx, long_opts), torch::tensor(query_idx, long_opts)});
  std::vector<torch::Tensor> matched_targets;
  for (std::size_t k = 0; k < batch_idx.size(); ++k)
    matched_targets.push_back(targets[batch_idx[k]].masks[target_idx[k]]);
  const auto rows = options_.variant == CriterionVariant::MaskFormer
                        ? whole_mask_losses(src_masks, pad_and_stack(matched_targets))
                        : point_sampled_mask_losses(src_masks, torch::stack(matched_targets),
                                                    indices, generators);
  losses["loss_mask"] = rows.mask.sum() / num_masks;
  losses["loss_dice"] = rows.dice.sum() / num_masks;
  add_rows(image_losses, batch_idx, rows.mask, options_.mask_weight / num_masks);
  add_rows(image_losses, batch_idx, rows.dice, options_.dice_weight / num_masks);
  return losses;
}

SetCriterion::MaskRows SetCriterion::whole_mask_losses(const torch::Tensor& src_masks,
                                                       const torch::Tensor& tgt_masks) const {
  // Predictions upsampled to the targets' grid (upstream's TODO: the padding counts too).
  auto src = at::upsample_bilinear2d(src_masks.unsqueeze(1), {tgt_masks.size(1), tgt_masks.size(2)},
                                     false, c10::nullopt, c10::nullopt)
                 .flatten(1);
  auto tgt = tgt_masks.to(src.options()).flatten(1);
  return {sigmoid_focal_loss_rows(src, tgt), dice_loss_rows(src, tgt)};
}

SetCriterion::MaskRows SetCriterion::point_sampled_mask_losses(
    const torch::Tensor& matched_masks, const torch::Tensor& matched_targets,
    const std::vector<Assignment>& indices, ImageGenerators* generators) const {
  auto src_masks = matched_masks.unsqueeze(1);
  auto tgt_masks = matched_targets.to(src_masks.options()).unsqueeze(1);
  torch::Tensor points, point_labels;
  {
    torch::NoGradGuard no_grad;
    if (!generators) {
      points = uncertain_point_coords(src_masks, options_.num_points, options_.oversample_ratio,
                                      options_.importance_ratio);
    } else {
      // Image by image (matches are grouped by image in batch order), each from its generator.
      std::vector<torch::Tensor> parts;
      std::int64_t start = 0;
      for (std::size_t b = 0; b < indices.size(); ++b) {
        const auto n = static_cast<std::int64_t>(indices[b].rows.size());
        if (n == 0) continue;
        parts.push_back(uncertain_point_coords(src_masks.narrow(0, start, n), options_.num_points,
                                               options_.oversample_ratio,
                                               options_.importance_ratio, &generators->at(b)));
        start += n;
      }
      points = torch::cat(parts, 0);
    }
    point_labels = point_sample(tgt_masks, points).squeeze(1);
  }
  auto point_logits = point_sample(src_masks, points).squeeze(1);
  return {sigmoid_ce_loss_rows(point_logits, point_labels), dice_loss_rows(point_logits, point_labels)};
}

LossTerms SetCriterion::operator()(const LayerPredictions& final_layer,
                                   const std::vector<LayerPredictions>& aux,
                                   const std::vector<InstanceTargets>& targets, double num_masks,
                                   ImageGenerators* generators, double class_normalizer,
                                   const ContrastiveInputs& contrastive) const {
  if (static_cast<int64_t>(targets.size()) != final_layer.class_logits.size(0))
    fail(ErrorKind::Internal, "criterion: {} targets for a batch of {}", targets.size(),
         final_layer.class_logits.size(0));
  if (num_masks <= 0) {
    double count = 0;
    for (const auto& t : targets) count += static_cast<double>(t.labels.size(0));
    num_masks = std::max(count, 1.0);
  }
  LossTerms out;
  out.image_losses.assign(targets.size(), 0.0);
  out.terms =
      layer_losses(final_layer, targets, num_masks, generators, class_normalizer, out.image_losses);
  for (std::size_t i = 0; i < aux.size(); ++i)
    for (auto& [name, value] :
         layer_losses(aux[i], targets, num_masks, generators, class_normalizer, out.image_losses))
      out.terms[name + "_" + std::to_string(i)] = value;
  if (contrastive.defined())
    out.terms["loss_contrastive"] =
        query_text_contrastive_loss(contrastive.queries, contrastive.texts, contrastive.logit_scale);
  out.total = torch::zeros({}, final_layer.class_logits.options().dtype(torch::kFloat));
  for (const auto& [name, value] : out.terms)
    out.total = out.total + weight_of(name) * value;
  return out;
}

double SetCriterion::weight_of(const std::string& name) const {
  return name.rfind("loss_ce", 0) == 0     ? options_.class_weight
         : name.rfind("loss_mask", 0) == 0 ? options_.mask_weight
         : name.rfind("loss_merge_ce", 0) == 0 ? options_.mask_weight
         : name.rfind("loss_proj", 0) == 0 ? options_.projection_weight
         : name.rfind("loss_contrastive", 0) == 0 ? options_.contrastive_weight
                                           : options_.dice_weight;
}

}  // namespace segx::train
