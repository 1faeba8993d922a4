//! The program files named by Windows autorun command lines (`Run`/`RunOnce` registry values), and the quick
//! scan's places inside a Windows user profile. Pure text handling, so it is tested on every system.

use std::path::PathBuf;

/// Places of a quick scan inside each user profile (`C:\Users\NAME`).
pub const QUICK_PROFILE: &[&str] = &[
    r"AppData\Roaming",
    r"AppData\Local\Temp",
    r"Downloads",
    r"AppData\Roaming\Microsoft\Windows\Start Menu\Programs\Startup",
];

/// Registry keys whose values start programs at logon, below `HKLM` and each user's hive.
pub const RUN_KEYS: &[&str] = &[
    r"Software\Microsoft\Windows\CurrentVersion\Run",
    r"Software\Microsoft\Windows\CurrentVersion\RunOnce",
    r"Software\WOW6432Node\Microsoft\Windows\CurrentVersion\Run",
    r"Software\WOW6432Node\Microsoft\Windows\CurrentVersion\RunOnce",
];

/// Expands `%NAME%` from `env` (names case-insensitive as on Windows); unknown names are left as they are.
pub fn expand_env(text: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let value = after
            .find('%')
            .filter(|&end| end > 0)
            .and_then(|end| Some((env(&after[..end])?, end)));
        match value {
            Some((value, end)) => {
                out.push_str(&value);
                rest = &after[end + 1..];
            }
            // Not a known name: the sign stays, and the next one may open a name.
            None => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The files an autorun command line starts: its program, plus the DLL for `rundll32` and the script for
/// `wscript`/`cscript`/`mshta`. Returns nothing for an empty line.
pub fn command_files(command: &str, env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let expanded = expand_env(command.trim(), env);
    let Some((program, args)) = split_program(&expanded) else {
        return Vec::new();
    };
    let mut files = vec![PathBuf::from(program)];
    let name = program
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or(program)
        .to_ascii_lowercase();
    let host = [
        "rundll32.exe",
        "rundll32",
        "wscript.exe",
        "cscript.exe",
        "mshta.exe",
        "regsvr32.exe",
    ];
    if host.contains(&name.as_str()) {
        let args = args.trim_start();
        // Switches of script hosts and regsvr32 (`/s`, `//B`) come before the file.
        let mut rest = args;
        while rest.starts_with('/') {
            rest = rest
                .split_once(char::is_whitespace)
                .map_or("", |(_, r)| r.trim_start());
        }
        if let Some((file, _)) = split_program(rest) {
            // rundll32 FILE,Entry
            let file = file.split(',').next().unwrap_or(file).trim();
            if !file.is_empty() {
                files.push(PathBuf::from(file));
            }
        }
    }
    files
}

/// The program of a command line (quoted, or up to the first `.exe`/`.com`/`.bat`/`.cmd` followed by a space,
/// or up to the first space) and the rest.
fn split_program(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    if line.is_empty() {
        return None;
    }
    if let Some(quoted) = line.strip_prefix('"') {
        return Some(match quoted.find('"') {
            Some(end) => (&quoted[..end], &quoted[end + 1..]),
            None => (quoted, ""),
        });
    }
    let lower = line.to_ascii_lowercase();
    for ext in [
        ".exe", ".com", ".bat", ".cmd", ".scr", ".dll", ".vbs", ".js", ".ps1", ".hta",
    ] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(ext) {
            let end = from + i + ext.len();
            let next = line[end..].chars().next();
            if next.is_none_or(|c| c.is_whitespace() || c == ',') {
                return Some((&line[..end], &line[end..]));
            }
            from = end;
        }
    }
    Some(match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], &line[i..]),
        None => (line, ""),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name.to_ascii_lowercase().as_str() {
            "systemroot" => Some(r"C:\Windows".into()),
            "appdata" => Some(r"C:\Users\an\AppData\Roaming".into()),
            _ => None,
        }
    }

    fn files(cmd: &str) -> Vec<String> {
        command_files(cmd, &env)
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn programs_of_real_autorun_lines() {
        assert_eq!(
            files(r#""C:\Program Files\Vendor\agent.exe" /background"#),
            [r"C:\Program Files\Vendor\agent.exe"]
        );
        assert_eq!(
            files(r"C:\Program Files (x86)\Tool\tray.exe -min"),
            [r"C:\Program Files (x86)\Tool\tray.exe"]
        );
        assert_eq!(
            files(r"%AppData%\upd\svc.exe"),
            [r"C:\Users\an\AppData\Roaming\upd\svc.exe"]
        );
        assert_eq!(
            files(r"%SystemRoot%\system32\rundll32.exe C:\Users\an\AppData\Local\x.dll,Start"),
            [
                r"C:\Windows\system32\rundll32.exe",
                r"C:\Users\an\AppData\Local\x.dll"
            ]
        );
        assert_eq!(
            files(r#"wscript.exe //B "C:\Users\Public\run me.vbs""#),
            ["wscript.exe", r"C:\Users\Public\run me.vbs"]
        );
        assert_eq!(files("   "), Vec::<String>::new());
        assert_eq!(files(r#""C:\unterminated.exe"#), [r"C:\unterminated.exe"]);
    }

    #[test]
    fn environment_expansion_keeps_unknown_names_and_lone_percent_signs() {
        assert_eq!(
            expand_env(r"%UNKNOWN%\a 100% %SystemRoot%", &env),
            r"%UNKNOWN%\a 100% C:\Windows"
        );
        assert_eq!(expand_env("%%", &env), "%%");
    }
}
