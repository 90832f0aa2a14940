//! What kubeadm does, as data, in one place: the certificate profiles (`profile`), the releases
//! followed and how they differ (`release`), which component flag reads which file and which
//! port serves which (`wiring`, over the `components` table), who trusts an identity and what they make of it (`identity`),
//! and the control-plane endpoint as kubeadm parses it (`control_plane`).

pub mod components;
pub mod control_plane;
pub mod identity;
pub mod profile;
pub mod release;
pub mod wiring;
