// zookeeper_exporter: a Prometheus exporter for what lives in Apache ZooKeeper.
#include "exporter/allocator_tuning.h"
#include "exporter/exporter_app.h"
#include "exporter/signals.h"

int main(int argc, char** argv) {
  zkx::exporter::TuneAllocator();  // before any thread allocates
  // Before any thread starts, so that every thread inherits the mask and signals reach sigtimedwait.
  zkx::exporter::BlockHandledSignals();
  return zkx::exporter::RunExporter(argc, argv);
}
