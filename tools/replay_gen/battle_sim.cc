#include "tools/replay_gen/battle_sim.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/json_writer.h"

namespace echelon::replay_gen {
namespace {

constexpr int kTicksPerFrame = 5;
constexpr double kSecondsPerTick = 0.05;
constexpr double kDt = kTicksPerFrame * kSecondsPerTick;
constexpr double kZoneScoreToWin = 60.0;
constexpr double kWeaponRange = 60.0;
constexpr int kRespawnFrames = 40;

struct ClassSpec {
  const char* name;
  double hp_max, heat_cap, height, speed;
};
// Real teams repeat heavy, medium, medium, light, scout.
constexpr ClassSpec kClasses[] = {
    {"heavy", 200.0, 130.0, 2.0, 3.5},
    {"medium", 150.0, 100.0, 1.5, 5.5},
    {"light", 80.0, 80.0, 1.0, 7.0},
    {"scout", 60.0, 75.0, 0.9, 8.0},
};
constexpr int kTeamPattern[] = {0, 1, 1, 2, 3};
constexpr const char* kTeamNames[] = {"blue", "red"};

// Simulation state is single precision in the trainer, so positions and
// velocities in real replays are floats widened to doubles (3.8538429737091064).
double F32(double v) { return static_cast<double>(static_cast<float>(v)); }
double Tenths(double v) { return std::round(v * 10.0) / 10.0; }

void WriteVec(JsonWriter& w, const double* v, int n, bool as_f32) {
  w.BeginArray();
  for (int i = 0; i < n; ++i) w.Double(as_f32 ? F32(v[i]) : v[i]);
  w.EndArray();
}

// Builds one free-form event object: {"type":...,<fields in call order>}.
class EventJson {
 public:
  explicit EventJson(const char* type) : w_(json_) {
    w_.BeginObject();
    w_.Key("type");
    w_.String(type);
  }
  EventJson& Str(const char* key, std::string_view v) { w_.Key(key); w_.String(v); return *this; }
  EventJson& Num(const char* key, double v) { w_.Key(key); w_.Double(v); return *this; }
  EventJson& Flag(const char* key, bool v) { w_.Key(key); w_.Bool(v); return *this; }
  EventJson& Pos(const std::array<double, 3>& p) {
    w_.Key("pos");
    WriteVec(w_, p.data(), 3, true);
    return *this;
  }
  std::string Done() {
    w_.EndObject();
    return std::move(json_);
  }

 private:
  std::string json_;
  JsonWriter w_;
};

double Distance2D(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  return std::hypot(a[0] - b[0], a[1] - b[1]);
}

}  // namespace

BattleSim::BattleSim(const WorldLayout& layout, int mechs_per_team, uint64_t seed)
    : layout_(layout), rng_(seed ^ 0x626174746c65ULL) {
  for (int team = 0; team < 2; ++team) {
    for (int i = 0; i < mechs_per_team; ++i) {
      Mech m;
      m.id = absl::StrCat(kTeamNames[team], "_", i);
      m.team = team;
      m.cls = kTeamPattern[i % 5];
      Spawn(m);
      mechs_.push_back(std::move(m));
    }
  }
}

void BattleSim::Spawn(Mech& m) {
  const ClassSpec& spec = kClasses[m.cls];
  const auto& corner = layout_.spawn[m.team];
  m.pos = {corner[0] + rng_.Range(-8, 8), corner[1] + rng_.Range(-8, 8), spec.height};
  m.vel = {0, 0, 0};
  m.waypoint = ZoneWaypoint();
  m.yaw = std::atan2(m.waypoint[1] - m.pos[1], m.waypoint[0] - m.pos[0]);
  m.hp = spec.hp_max;
  m.heat = 0;
  m.stability = 100.0;
  m.alive = true;
  m.fallen = m.legged = false;
  m.suppressed_time = m.ams_cooldown = 0;
  m.ecm_on = m.cls == 3;
  m.eccm_on = false;
  m.painted_by = -1;
  m.painted_frames = m.fallen_frames = 0;
}

std::array<double, 2> BattleSim::ZoneWaypoint() {
  const double angle = rng_.Range(0, 2 * M_PI);
  const double r = layout_.zone_radius * rng_.Range(0.0, 1.3);
  return {layout_.zone_center[0] + r * std::cos(angle), layout_.zone_center[1] + r * std::sin(angle)};
}

std::array<double, 3> BattleSim::Near(const std::array<double, 3>& p, double spread) {
  return {p[0] + rng_.Range(-spread, spread), p[1] + rng_.Range(-spread, spread),
          std::max(0.0, p[2] + rng_.Range(-spread, spread) * 0.3)};
}

void BattleSim::Move(Mech& m) {
  const double dx = m.waypoint[0] - m.pos[0], dy = m.waypoint[1] - m.pos[1];
  const double dist = std::hypot(dx, dy);
  if (dist < 2.0) {
    const double w = layout_.size[0] * layout_.voxel_size_m;
    const double h = layout_.size[1] * layout_.voxel_size_m;
    m.waypoint = rng_.Chance(0.7) ? ZoneWaypoint()
                                  : std::array<double, 2>{rng_.Range(0, w), rng_.Range(0, h)};
    return;
  }
  double speed = m.fallen ? 0.0 : kClasses[m.cls].speed * rng_.Range(0.6, 1.0);
  if (m.legged) speed *= 0.5;
  m.vel = {speed * dx / dist, speed * dy / dist, 0.0};
  if (speed > 0) m.yaw = std::atan2(dy, dx) + rng_.Range(-0.1, 0.1);
  const double max_x = layout_.size[0] * layout_.voxel_size_m - 0.5;
  const double max_y = layout_.size[1] * layout_.voxel_size_m - 0.5;
  m.pos[0] = std::clamp(m.pos[0] + m.vel[0] * kDt, 0.5, max_x);
  m.pos[1] = std::clamp(m.pos[1] + m.vel[1] * kDt, 0.5, max_y);
}

void BattleSim::Cool(Mech& m) {
  m.heat = std::max(0.0, m.heat - 4.0 * kDt * 4);
  m.stability = std::min(100.0, m.stability + 2.5);
  m.suppressed_time = std::max(0.0, m.suppressed_time - kDt);
  m.ams_cooldown = std::max(0.0, m.ams_cooldown - kDt);
  if (m.fallen && --m.fallen_frames <= 0) m.fallen = false;
  if (m.painted_frames > 0 && --m.painted_frames == 0) m.painted_by = -1;
  if (m.cls == 0 && rng_.Chance(0.01)) m.eccm_on = !m.eccm_on;
}

int BattleSim::PickTarget(int shooter) {
  const Mech& s = mechs_[shooter];
  int chosen = -1, seen = 0;
  // Reservoir choice among enemies in range: one pass, no allocation.
  for (int i = 0; i < static_cast<int>(mechs_.size()); ++i) {
    const Mech& t = mechs_[i];
    if (t.team == s.team || !t.alive || Distance2D(s.pos, t.pos) > kWeaponRange) continue;
    if (rng_.Below(++seen) == 0) chosen = i;
  }
  return chosen;
}

void BattleSim::Hit(int shooter, int target, const char* type, const char* weapon, double damage,
                    double stability_damage) {
  Mech& t = mechs_[target];
  const bool painted = t.painted_by >= 0;
  const bool crit = rng_.Chance(0.08);
  const bool leg = rng_.Chance(0.1);
  damage = Tenths(damage * (painted ? 1.1 : 1.0) * (crit ? 1.5 : 1.0));
  EventJson e(type);
  e.Str("weapon", weapon).Str("shooter", mechs_[shooter].id).Str("target", t.id).Pos(Near(t.pos, 0.6));
  e.Num("damage", damage);
  if (stability_damage > 0) e.Num("stability", stability_damage);
  events_.push_back(e.Flag("is_crit", crit).Flag("is_leg_hit", leg).Flag("is_painted", painted).Done());

  t.hp = std::max(0.0, t.hp - damage);
  t.stability -= stability_damage;
  if (t.stability <= 0) {
    t.stability = 0;
    t.fallen = true;
    t.fallen_frames = 8;
  }
  if (leg && rng_.Chance(0.3)) t.legged = true;
  if (stability_damage > 0) t.suppressed_time = std::max(t.suppressed_time, 1.5);
  if (t.hp <= 0) Kill(shooter, target);
}

void BattleSim::Kill(int shooter, int target) {
  Mech& t = mechs_[target];
  events_.push_back(EventJson("kill").Str("shooter", mechs_[shooter].id).Str("target", t.id).Done());
  const int painter = t.painted_by;
  if (painter >= 0 && painter != shooter && mechs_[painter].team == mechs_[shooter].team) {
    events_.push_back(EventJson("assist")
                          .Str("painter", mechs_[painter].id)
                          .Str("shooter", mechs_[shooter].id)
                          .Num("damage", Tenths(rng_.Range(0.1, 1.0)))
                          .Done());
  }
  t.alive = false;
  t.vel = {0, 0, 0};
  t.respawn_frames = kRespawnFrames;
}

void BattleSim::MaybeAttack(int shooter) {
  Mech& s = mechs_[shooter];
  if (!s.alive || s.fallen || s.heat > kClasses[s.cls].heat_cap * 0.9 || !rng_.Chance(0.12)) return;
  const int target = PickTarget(shooter);
  if (target < 0) return;
  Mech& t = mechs_[target];
  const std::array<double, 3> muzzle = {s.pos[0], s.pos[1], s.pos[2] + 0.7};
  switch (s.cls) {
    case 0:  // heavy: gauss slug, explodes on impact
      s.heat += 12;
      events_.push_back(EventJson("kinetic_fire").Str("weapon", "gauss").Str("shooter", s.id).Pos(muzzle).Done());
      if (rng_.Chance(0.7)) {
        events_.push_back(EventJson("explosion").Str("weapon", "gauss").Pos(Near(t.pos, 0.5))
                              .Num("radius", 1.5).Str("shooter", s.id).Done());
        Hit(shooter, target, "projectile_hit", "gauss", 25.0, 20.0);
      }
      break;
    case 1:  // medium: autocannon, sometimes missiles that AMS may stop
      s.heat += 6;
      if (rng_.Chance(0.7)) {
        events_.push_back(EventJson("kinetic_fire").Str("weapon", "autocannon").Str("shooter", s.id).Pos(muzzle).Done());
        if (rng_.Chance(0.6)) Hit(shooter, target, "projectile_hit", "autocannon", 8.0, 5.0);
        break;
      }
      events_.push_back(EventJson("missile_launch").Str("weapon", "missile")
                            .Str("lock", t.painted_by >= 0 ? "paint" : "los").Str("shooter", s.id)
                            .Str("target", t.id).Pos({s.pos[0], s.pos[1], s.pos[2] + 2.5}).Done());
      for (Mech& d : mechs_) {
        if (d.team == t.team && d.alive && d.ams_cooldown == 0 && Distance2D(d.pos, t.pos) < 20 &&
            rng_.Chance(0.5)) {
          d.ams_cooldown = 3.0;
          events_.push_back(EventJson("ams_intercept").Str("weapon", "ams").Str("defender", d.id)
                                .Str("shooter", s.id).Str("target", t.id).Pos(Near(t.pos, 4.0)).Done());
          return;
        }
      }
      events_.push_back(EventJson("explosion").Str("weapon", "missile").Pos(Near(t.pos, 0.5))
                            .Num("radius", 2.5).Str("shooter", s.id).Done());
      Hit(shooter, target, "projectile_hit", "missile", 12.0, 10.0);
      break;
    case 2:  // light: lasers
      s.heat += 8;
      Hit(shooter, target, "laser_hit", "laser", 14.0, 0.0);
      break;
    default:  // scout: paints targets for the team, drops smoke
      if (rng_.Chance(0.15)) {
        const auto pos = Near(s.pos, 3.0);
        events_.push_back(EventJson("smoke").Str("weapon", "smoke").Str("shooter", s.id).Pos(pos)
                              .Num("radius", 6.0).Done());
        smoke_.push_back({pos, 6.0, 40});
        break;
      }
      events_.push_back(EventJson("paint").Str("weapon", "painter").Str("shooter", s.id)
                            .Str("target", t.id).Pos(Near(t.pos, 0.3)).Done());
      t.painted_by = shooter;
      t.painted_frames = 20;
  }
}

void BattleSim::ScoreZone() {
  std::array<int, 2> inside{0, 0};
  for (const Mech& m : mechs_) {
    const double d = std::hypot(m.pos[0] - layout_.zone_center[0], m.pos[1] - layout_.zone_center[1]);
    if (m.alive && d < layout_.zone_radius) ++inside[m.team];
  }
  for (int team = 0; team < 2; ++team) {
    if (inside[team] > 0 && inside[1 - team] == 0) zone_score_[team] += kDt * inside[team];
  }
  // Endless replays: a won round starts the next one.
  if (std::max(zone_score_[0], zone_score_[1]) >= kZoneScoreToWin) zone_score_ = {0.0, 0.0};
}

void BattleSim::Step() {
  tick_ += kTicksPerFrame;
  events_.clear();
  for (Mech& m : mechs_) {
    if (!m.alive) {
      if (--m.respawn_frames <= 0) Spawn(m);
      continue;
    }
    Move(m);
    Cool(m);
  }
  for (int i = 0; i < static_cast<int>(mechs_.size()); ++i) MaybeAttack(i);
  for (Smoke& s : smoke_) {
    s.radius = std::min(8.0, s.radius + 0.1);
    --s.frames_left;
  }
  std::erase_if(smoke_, [](const Smoke& s) { return s.frames_left <= 0; });
  ScoreZone();
}

void BattleSim::AppendFrame(std::string& out) const {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("t"); w.Double(tick_ * kSecondsPerTick);
  w.Key("tick"); w.Int(tick_);
  w.Key("objective");
  w.BeginObject();
  w.Key("zone_center"); WriteVec(w, layout_.zone_center.data(), 2, false);
  w.Key("zone_radius"); w.Double(layout_.zone_radius);
  w.Key("zone_score");
  w.BeginObject();
  w.Key("blue"); w.Double(zone_score_[0]);
  w.Key("red"); w.Double(zone_score_[1]);
  w.EndObject();
  w.Key("zone_score_to_win"); w.Double(kZoneScoreToWin);
  w.EndObject();
  w.Key("mechs");
  w.BeginObject();
  for (const Mech& m : mechs_) {
    const ClassSpec& spec = kClasses[m.cls];
    w.Key(m.id);
    w.BeginObject();
    w.Key("team"); w.String(kTeamNames[m.team]);
    w.Key("class"); w.String(spec.name);
    w.Key("pos"); WriteVec(w, m.pos.data(), 3, true);
    w.Key("vel"); WriteVec(w, m.vel.data(), 3, true);
    w.Key("yaw"); w.Double(m.yaw);
    w.Key("hp"); w.Double(m.hp);
    w.Key("hp_max"); w.Double(spec.hp_max);
    w.Key("heat"); w.Double(m.heat);
    w.Key("heat_cap"); w.Double(spec.heat_cap);
    w.Key("stability"); w.Double(m.stability);
    w.Key("stability_max"); w.Double(100.0);
    w.Key("alive"); w.Bool(m.alive);
    w.Key("fallen"); w.Bool(m.fallen);
    w.Key("legged"); w.Bool(m.legged);
    w.Key("suppressed_time"); w.Double(m.suppressed_time);
    w.Key("ams_cooldown"); w.Double(m.ams_cooldown);
    w.Key("ecm_on"); w.Bool(m.ecm_on);
    w.Key("eccm_on"); w.Bool(m.eccm_on);
    w.EndObject();
  }
  w.EndObject();
  w.Key("smoke_clouds");
  w.BeginArray();
  for (const Smoke& s : smoke_) {
    w.BeginObject();
    w.Key("pos"); WriteVec(w, s.pos.data(), 3, true);
    w.Key("radius"); w.Double(s.radius);
    w.EndObject();
  }
  w.EndArray();
  w.Key("events");
  w.BeginArray();
  for (const Event& e : events_) w.Raw(e);
  w.EndArray();
  w.EndObject();
}

}  // namespace echelon::replay_gen
