#include "server/world/world_service.h"

#include "common/grpc_status.h"

namespace echelon::world {

namespace v1 = echelon::replay::v1;

grpc::ServerUnaryReactor* WorldServiceImpl::Put(grpc::CallbackServerContext* context,
                                                const v1::PutWorldRequest* request,
                                                v1::PutWorldResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (absl::Status allowed = auth_.CheckPush(*context); !allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return reactor;
  }
  absl::StatusOr<WorldPutResult> put = store_.Put(request->world_json(), request->world_hash());
  if (put.ok()) {
    response->set_world_hash(put->hash);
    response->set_created(put->created);
  }
  reactor->Finish(ToGrpcStatus(put.status()));
  return reactor;
}

grpc::ServerUnaryReactor* WorldServiceImpl::Get(grpc::CallbackServerContext* context,
                                                const v1::GetWorldRequest* request,
                                                v1::GetWorldResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (absl::Status allowed = auth_.CheckView(*context); !allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return reactor;
  }
  auto world = store_.Get(request->world_hash());
  if (world.ok()) {
    response->set_world_hash((*world)->hash());
    response->set_gzipped(request->gzip());
    response->set_world_json(request->gzip() ? (*world)->gzipped() : (*world)->json());
  }
  reactor->Finish(ToGrpcStatus(world.status()));
  return reactor;
}

grpc::ServerUnaryReactor* WorldServiceImpl::Has(grpc::CallbackServerContext* context,
                                                const v1::HasWorldRequest* request,
                                                v1::HasWorldResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (absl::Status allowed = auth_.CheckView(*context); !allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return reactor;
  }
  response->set_present(store_.Has(request->world_hash()));
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace echelon::world
