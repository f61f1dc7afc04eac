import Core
import Foundation
import RPCModels
import Server
import Testing

@Suite("Settings")
struct SettingsTests {
    let catalogue = SidecarSettings.catalogue

    func file(_ json: String) throws -> String {
        let path = try TestStores.temporaryDirectory() + "/config.json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("flags beat the environment, which beats the config file, which beats defaults")
    func precedence() throws {
        let config = try file(#"{"port": 9001, "host": "127.0.0.2", "log_level": "debug"}"#)
        let s = try Settings.resolve(
            catalogue,
            flags: ["port": "9003"],
            environment: ["ZOHO_SIDECAR_PORT": "9002", "ZOHO_SIDECAR_HOST": "127.0.0.3"],
            configFile: config
        )
        #expect(s["port"] == "9003")
        #expect(s.sources["port"] == .flag)
        #expect(s["host"] == "127.0.0.3")
        #expect(s.sources["host"] == .environment)
        #expect(s["log_level"] == "debug")
        #expect(s.sources["log_level"] == .file)
        #expect(s["data_dir"] == "./.zoho-sidecar")
        #expect(s.sources["data_dir"] == .defaultValue)
    }

    @Test("an unknown environment variable with our prefix stops the start and is named")
    func unknownEnvironment() {
        #expect {
            try Settings.resolve(catalogue, flags: [:], environment: ["ZOHO_SIDECAR_PROT": "1"], configFile: nil)
        } throws: { "\($0)".contains("ZOHO_SIDECAR_PROT") }
    }

    @Test("an unknown key in the config file is named with the file")
    func unknownFileKey() throws {
        let config = try file(#"{"prot": 1}"#)
        #expect { try Settings.resolve(catalogue, flags: [:], environment: [:], configFile: config) } throws: { "\($0)".contains("'prot'") }
    }

    @Test(
        "invalid values name the setting and where it came from",
        arguments: [
            (["port": "eighty"], "--port"), (["log_format": "xml"], "--log-format"), (["database": "mysql://x"], "--database"),
        ]
    )
    func invalid(flags: [String: String], name: String) {
        #expect { try Settings.resolve(catalogue, flags: flags, environment: [:], configFile: nil) } throws: { "\($0)".contains(name) }
    }

    @Test("the master key variable is ours but not a setting")
    func reserved() throws {
        _ = try Settings.resolve(catalogue, flags: [:], environment: ["ZOHO_SIDECAR_MASTER_KEY": "x", "ZOHO_SIDECAR_CONFIG": "y"], configFile: nil)
    }
}

@Suite("Secret masking")
struct MaskingTests {
    @Test(
        "credential shapes are masked wherever they appear",
        arguments: [
            ("Authorization: Zoho-oauthtoken 1000.8cb99dxxxxxxxxxxxxx9be93.9b8xxxxxxf", "1000.8cb99d"),
            ("refresh_token=1000.abcdef1234567890.fedcba0987654321&x=1", "abcdef1234567890"),
            (#"{"client_secret":"hunter2hunter2","ok":1}"#, "hunter2"),
            (#"{\"access_token\":\"1000.aaaaaaaabbbb\"}"#, "aaaaaaaabbbb"),
            ("curl -H 'Authorization: Bearer sk_live_abcdefghijkl' x", "sk_live_abcdefghijkl"),
            ("/zoho/webhook/1/crm/Contacts?key=whsec-abcdef123456", "whsec-abcdef123456"),
            ("api key zsk_AbCdEfGhIjKlMnOpQrStUv leaked", "zsk_AbCdEfGhIjKlMnOpQrStUv"),
            // Found by the fuzzer: a key glued to a mangled model name, echoed in an error.
            ("Object zoho.instancezsk_E8juv828UwNstkWfP52U9366lvr9z0QqRRUEzvLFuM8 doesn't exist", "E8juv828UwNstkWfP52U9366"),
            ("X-Zoho-Webhook-Secret: s3cr3t-value-xyz", "s3cr3t-value-xyz"),
        ]
    )
    func masks(text: String, secret: String) {
        let masked = Secrets.redact(text)
        #expect(!masked.contains(secret), "\(masked)")
        #expect(masked.contains("***"))
    }

    @Test(
        "ordinary text passes through unchanged",
        arguments: [
            #"{"code":"INVALID_DATA","message":"invalid data","token_type":"Bearer"}"#,
            "job 1000 failed: timeout after 30 s", "next_page_token=abc identity_key=x", #"{"secret_set": false}"#,
        ]
    )
    func leavesOrdinaryText(text: String) {
        #expect(Secrets.redact(text) == text)
    }

    @Test("a registered secret is masked even with no recognisable shape")
    func registered() {
        let secret = "plain-\(UUID().uuidString)"
        TestLog.secret(secret)
        Secrets.register(secret)
        #expect(Secrets.redact("error while using \(secret) here") == "error while using *** here")
    }

    @Test("JSON values are masked by key and by content")
    func json() {
        let masked = Secrets.redact(["refresh_token": "abc", "nested": ["note": "Bearer abcdefghijklmnop"], "count": 3] as JSONValue)
        #expect(masked["refresh_token"] == "***")
        #expect(masked["nested"]?["note"] == "Bearer ***")
        #expect(masked["count"] == 3)
    }
}

@Suite("Reference docs")
struct DocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test("docs/models.md matches the model definitions (regenerate with `zoho-sidecar docs`)")
    func models() throws {
        let committed = try String(contentsOfFile: Self.root + "/docs/models.md", encoding: .utf8)
        #expect(committed == ModelDocs.markdown(Sidecar.registry()))
    }

    @Test("docs/settings.md matches the settings catalogue")
    func settings() throws {
        let committed = try String(contentsOfFile: Self.root + "/docs/settings.md", encoding: .utf8)
        #expect(committed == SidecarSettings.markdown())
    }
}
