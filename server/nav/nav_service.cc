#include "server/nav/nav_service.h"

#include <cmath>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/grpc_status.h"
#include "server/nav/astar.h"
#include "server/nav/nav_answer.h"

namespace echelon::nav {
namespace {

namespace v1 = echelon::replay::v1;

absl::Status CheckPosition(bool present, const v1::Vec3& pos, const char* name) {
  if (!present) return absl::InvalidArgumentError(std::string(name) + " is required");
  if (!std::isfinite(pos.x()) || !std::isfinite(pos.y()) || !std::isfinite(pos.z())) {
    return absl::InvalidArgumentError(std::string(name) + " must be 3 finite numbers");
  }
  return absl::OkStatus();
}

absl::Status CheckHash(const std::string& world_hash) {
  if (world_hash.empty()) return absl::InvalidArgumentError("world_hash is required");
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

NavServiceImpl::NavServiceImpl(std::shared_ptr<NavCache> cache, const AuthPolicy* auth)
    : cache_(std::move(cache)), auth_(auth) {}

grpc::ServerUnaryReactor* NavServiceImpl::GetGraph(grpc::CallbackServerContext* context,
                                                   const v1::GetGraphRequest* request,
                                                   v1::GetGraphResponse* response) {
  if (auth_ != nullptr) {
    if (absl::Status allowed = auth_->CheckView(*context); !allowed.ok()) return FinishNow(context, allowed);
  }
  if (absl::Status status = CheckHash(request->world_hash()); !status.ok()) return FinishNow(context, status);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool gzip = request->as_json() && request->gzip();
  // The request and response stay valid until Finish, which runs last here.
  cache_->GetAsync(
      request->world_hash(),
      [reactor, request, response, gzip](NavCache::EntryOr entry) {
        if (!entry.ok()) {
          reactor->Finish(ToGrpcStatus(entry.status()));
          return;
        }
        const NavEntry& e = **entry;
        response->set_world_hash(e.world_hash());
        if (request->as_json()) {
          response->set_graph_json(gzip ? *e.graph_json_gzip() : *e.graph_json());
          response->set_gzipped(gzip);
        } else {
          FillGraph(e.graph(), *response->mutable_graph());
        }
        reactor->Finish(grpc::Status::OK);
      },
      gzip);
  return reactor;
}

grpc::ServerUnaryReactor* NavServiceImpl::FindPath(grpc::CallbackServerContext* context,
                                                   const v1::FindPathRequest* request,
                                                   v1::FindPathResponse* response) {
  if (auth_ != nullptr) {
    if (absl::Status allowed = auth_->CheckView(*context); !allowed.ok()) return FinishNow(context, allowed);
  }
  absl::Status status = CheckHash(request->world_hash());
  if (status.ok()) status = CheckPosition(request->has_start_pos(), request->start_pos(), "start_pos");
  if (status.ok()) status = CheckPosition(request->has_goal_pos(), request->goal_pos(), "goal_pos");
  if (!status.ok()) return FinishNow(context, status);

  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  cache_->GetAsync(request->world_hash(), [reactor, request, response](NavCache::EntryOr entry) {
    if (!entry.ok()) {
      reactor->Finish(ToGrpcStatus(entry.status()));
      return;
    }
    const NavGraph& graph = (*entry)->graph();
    const auto& s = request->start_pos();
    const auto& g = request->goal_pos();
    const PathResult result = nav::FindPath(graph, {s.x(), s.y(), s.z()}, {g.x(), g.y(), g.z()});
    if (request->as_json()) {
      response->set_path_json(RenderPathJson(graph, result));
    } else {
      FillPath(graph, result, *response);
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace echelon::nav
