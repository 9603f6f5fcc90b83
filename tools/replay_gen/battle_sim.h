// A toy battle that produces frames with the real frame schema (PROTOCOL.md,
// "Frame"; see tests/fixtures/replays): mechs of four classes walk towards the
// capture zone, fire lasers, autocannons, gauss rifles and missiles, paint
// targets, drop smoke, fall, die and respawn, and the zone score ticks. It is
// not a simulation of anything; it exists so that benchmarks and soak tests
// see frames of realistic shape, size and number formatting.
//
//   BattleSim sim(world.layout, /*mechs_per_team=*/5, /*seed=*/7);
//   for (int i = 0; i < 100; ++i) { sim.Step(); sim.AppendFrame(out); }
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/replay_gen/rng.h"
#include "tools/replay_gen/world_gen.h"

namespace echelon::replay_gen {

class BattleSim {
 public:
  BattleSim(const WorldLayout& layout, int mechs_per_team, uint64_t seed);

  // Advances one frame (5 ticks, 0.25 s) and collects the frame's events.
  void Step();
  // Appends the current frame as compact JSON.
  void AppendFrame(std::string& out) const;

 private:
  struct Mech {
    std::string id;
    int team = 0;  // 0 blue, 1 red
    int cls = 0;   // index into the class table
    std::array<double, 3> pos{}, vel{};
    std::array<double, 2> waypoint{};
    double yaw = 0, hp = 0, heat = 0, stability = 100, suppressed_time = 0, ams_cooldown = 0;
    bool alive = true, fallen = false, legged = false, ecm_on = false, eccm_on = false;
    int respawn_frames = 0, fallen_frames = 0;
    int painted_by = -1, painted_frames = 0;
  };
  struct Smoke {
    std::array<double, 3> pos;
    double radius;
    int frames_left;
  };
  // One event as already-encoded JSON (events are free-form objects).
  using Event = std::string;

  void Spawn(Mech& m);
  void Move(Mech& m);
  void Cool(Mech& m);
  void MaybeAttack(int shooter);
  int PickTarget(int shooter);
  void Hit(int shooter, int target, const char* type, const char* weapon, double damage,
           double stability_damage);
  void Kill(int shooter, int target);
  void ScoreZone();
  std::array<double, 3> Near(const std::array<double, 3>& p, double spread);
  std::array<double, 2> ZoneWaypoint();

  WorldLayout layout_;
  Rng rng_;
  int64_t tick_ = 0;
  std::array<double, 2> zone_score_{0.0, 0.0};
  std::vector<Mech> mechs_;
  std::vector<Smoke> smoke_;
  std::vector<Event> events_;
};

}  // namespace echelon::replay_gen
