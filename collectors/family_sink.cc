#include "collectors/family_sink.h"

#include <sstream>
#include <utility>

#include <prometheus/text_serializer.h>

namespace zkx::collectors {

FamilySink::FamilySink(std::vector<prometheus::MetricFamily>* families) : families_(families) {}

FamilySink::FamilySink(std::vector<std::string>* pieces) : pieces_(pieces) {}

void FamilySink::Add(prometheus::MetricFamily family) const {
  if (families_ != nullptr) {
    families_->push_back(std::move(family));
  } else {
    pieces_->push_back(FamilyText(std::move(family)));
  }
}

std::string FamilyText(prometheus::MetricFamily family) {
  // The serializer takes a vector of families: a one-element vector, which frees the samples on return.
  std::vector<prometheus::MetricFamily> one;
  one.push_back(std::move(family));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, one);
  return std::move(out).str();
}

}  // namespace zkx::collectors
