//! How much of the machine a scan may take: CPU priority (`nice`) and idle I/O priority for the scanning threads,
//! so a hospital workstation stays usable while it is scanned. The number of threads is
//! [`crate::ScanOptions::threads`].

/// Priorities applied to each scanning thread when it starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budget {
    /// Unix nice value of the scanning threads (-20 highest … 19 lowest; raising priority needs privilege).
    /// On Windows any positive value puts the process in the below-normal priority class (15 and more: idle).
    pub nice: Option<i32>,
    /// Idle I/O priority: the threads' disk reads wait until nobody else reads (Linux `ioprio_set` idle class;
    /// Windows background mode).
    pub idle_io: bool,
}

/// A priority that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {reason}")]
pub struct BudgetError {
    /// Which setting.
    pub what: String,
    /// The operating system's answer.
    pub reason: String,
}

impl Budget {
    /// The setting for background scans: nice 10 and idle I/O.
    pub fn background() -> Self {
        Self {
            nice: Some(10),
            idle_io: true,
        }
    }

    /// True when nothing is to be changed.
    pub fn is_unlimited(&self) -> bool {
        self.nice.is_none() && !self.idle_io
    }

    /// Applies the budget to the calling thread (on Windows the CPU part applies to the whole process).
    pub fn apply_to_current_thread(&self) -> Result<(), BudgetError> {
        if let Some(nice) = self.nice {
            if !(-20..=19).contains(&nice) {
                return Err(BudgetError {
                    what: format!("nice {nice}"),
                    reason: "outside -20..=19".into(),
                });
            }
        }
        sys::apply(self)
    }
}

#[cfg(target_os = "linux")]
#[allow(
    unsafe_code,
    reason = "setpriority and ioprio_set have no safe wrapper in std"
)]
mod sys {
    use super::{Budget, BudgetError};

    /// `IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT` (linux/ioprio.h).
    const IOPRIO_IDLE: libc::c_long = 3 << 13;
    /// `IOPRIO_WHO_PROCESS`: `who` is a thread id.
    const IOPRIO_WHO_PROCESS: libc::c_long = 1;

    fn os_error(what: String) -> BudgetError {
        BudgetError {
            what,
            reason: std::io::Error::last_os_error().to_string(),
        }
    }

    pub(super) fn apply(budget: &Budget) -> Result<(), BudgetError> {
        // SAFETY: gettid takes no argument and cannot fail.
        let tid = unsafe { libc::gettid() };
        let tid_id = libc::id_t::try_from(tid).unwrap_or(0);
        if let Some(nice) = budget.nice {
            // On Linux a nice value belongs to a thread; PRIO_PROCESS with a thread id sets that thread's.
            // SAFETY: plain system call with integer arguments.
            if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid_id, nice) } != 0 {
                return Err(os_error(format!("nice {nice}")));
            }
        }
        if budget.idle_io {
            // SAFETY: plain system call with integer arguments.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_ioprio_set,
                    IOPRIO_WHO_PROCESS,
                    libc::c_long::from(tid),
                    IOPRIO_IDLE,
                )
            };
            if r != 0 {
                return Err(os_error("idle I/O priority".into()));
            }
        }
        Ok(())
    }

    /// The calling thread's I/O priority class (1 real time, 2 best effort, 3 idle; 0 none set).
    #[cfg(test)]
    pub(super) fn io_class() -> libc::c_long {
        // SAFETY: plain system calls with integer arguments.
        let r = unsafe {
            libc::syscall(
                libc::SYS_ioprio_get,
                IOPRIO_WHO_PROCESS,
                libc::c_long::from(libc::gettid()),
            )
        };
        r >> 13
    }
}

#[cfg(windows)]
#[allow(unsafe_code, reason = "Win32 priority calls")]
mod sys {
    use super::{Budget, BudgetError};
    use windows_sys::Win32::System::Threading::{
        GetCurrentProcess, GetCurrentThread, SetPriorityClass, SetThreadPriority,
        BELOW_NORMAL_PRIORITY_CLASS, IDLE_PRIORITY_CLASS, THREAD_MODE_BACKGROUND_BEGIN,
    };

    fn os_error(what: &str) -> BudgetError {
        BudgetError {
            what: what.into(),
            reason: std::io::Error::last_os_error().to_string(),
        }
    }

    pub(super) fn apply(budget: &Budget) -> Result<(), BudgetError> {
        if let Some(nice) = budget.nice.filter(|n| *n > 0) {
            let class = if nice >= 15 {
                IDLE_PRIORITY_CLASS
            } else {
                BELOW_NORMAL_PRIORITY_CLASS
            };
            // SAFETY: the pseudo handle of the current process is always valid.
            if unsafe { SetPriorityClass(GetCurrentProcess(), class) } == 0 {
                return Err(os_error("below-normal priority class"));
            }
        }
        if budget.idle_io {
            // Background mode lowers the thread's I/O and memory priority.
            // SAFETY: the pseudo handle of the current thread is always valid.
            if unsafe { SetThreadPriority(GetCurrentThread(), THREAD_MODE_BACKGROUND_BEGIN) } == 0 {
                return Err(os_error("background mode"));
            }
        }
        Ok(())
    }
}

#[cfg(not(any(target_os = "linux", windows)))]
mod sys {
    use super::{Budget, BudgetError};

    pub(super) fn apply(budget: &Budget) -> Result<(), BudgetError> {
        if budget.is_unlimited() {
            Ok(())
        } else {
            Err(BudgetError {
                what: "scan priorities".into(),
                reason: "not supported on this system".into(),
            })
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The calling thread's nice value, from /proc (field 19 of stat).
    pub(crate) fn thread_nice() -> i32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        after.split(' ').nth(16).unwrap().parse().unwrap()
    }

    #[test]
    fn a_thread_gets_the_nice_value_and_idle_io_and_others_keep_theirs() {
        let before = thread_nice();
        let (nice, class) = std::thread::spawn(|| {
            Budget {
                nice: Some(12),
                idle_io: true,
            }
            .apply_to_current_thread()
            .unwrap();
            (thread_nice(), sys::io_class())
        })
        .join()
        .unwrap();
        assert_eq!((nice, class), (12, 3));
        assert_eq!(thread_nice(), before, "only the scanning thread changed");
        assert_ne!(sys::io_class(), 3);
    }

    #[test]
    fn a_scan_refuses_an_impossible_budget_and_runs_with_a_possible_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"x").unwrap();
        let engine = crate::Engine::new(None, crate::HashList::new());
        let roots = [dir.path().to_path_buf()];
        let mut opts = crate::ScanOptions {
            threads: 2,
            budget: Budget {
                nice: Some(40),
                idle_io: false,
            },
            ..Default::default()
        };
        let err = engine.scan_paths(&roots, &opts).unwrap_err();
        assert!(matches!(err, crate::Error::Budget(_)), "{err:?}");
        opts.budget = Budget::background();
        assert_eq!(engine.scan_paths(&roots, &opts).unwrap().stats.scanned, 1);
        assert_ne!(sys::io_class(), 3, "the calling thread keeps its priority");
    }

    #[test]
    fn out_of_range_nice_is_refused() {
        let err = Budget {
            nice: Some(40),
            idle_io: false,
        }
        .apply_to_current_thread()
        .unwrap_err();
        assert_eq!(err.what, "nice 40");
    }
}
