/*
 * Structural checker for declarative Jenkinsfiles, on the Groovy AST (parsed to CompilePhase.CONVERSION: syntax only,
 * no class resolution, so Jenkins' own steps need not be on the classpath). Jenkins' declarative validator is not on
 * Maven Central; this covers the mistakes that pass a syntax check and fail in Jenkins, or worse, run:
 *   - one `pipeline { }` and nothing else; known sections, each once; `agent` and `stages` present;
 *   - `stages` holds only `stage('name') { }`, names unique across the pipeline; each stage has known directives and
 *     exactly one of steps, stages, parallel, matrix; no empty `steps`; known `post` conditions;
 *   - every `sh` step runs an allowed command, and `bash F` / `node F` / `npm run S` name a file or package.json script
 *     that exists in the repo;
 *   - credentials only through bindings: no literal value for a secret-like environment name, withCredentials bindings
 *     of known kinds, no `docker login -p`.
 * Usage: java -cp groovy.jar:groovy-json.jar groovy.ui.GroovyMain jenkinsfile-check.groovy [--root DIR] FILE...
 *   --root  the repo the scripts are looked up in (default: the working directory)
 * Prints every finding as `file:line: message` (syntax errors `file:line:column`) on stderr and exits 1 when there is
 * any; otherwise prints `FILE: OK (N stages, M sh steps checked)` per file and exits 0. Exit 2: bad usage.
 * Reference: https://www.jenkins.io/doc/book/pipeline/syntax/
 */
import groovy.json.JsonSlurper
import org.codehaus.groovy.ast.ASTNode
import org.codehaus.groovy.ast.CodeVisitorSupport
import org.codehaus.groovy.ast.expr.ArgumentListExpression
import org.codehaus.groovy.ast.expr.BinaryExpression
import org.codehaus.groovy.ast.expr.ClosureExpression
import org.codehaus.groovy.ast.expr.ConstantExpression
import org.codehaus.groovy.ast.expr.Expression
import org.codehaus.groovy.ast.expr.GStringExpression
import org.codehaus.groovy.ast.expr.ListExpression
import org.codehaus.groovy.ast.expr.MapExpression
import org.codehaus.groovy.ast.expr.MethodCallExpression
import org.codehaus.groovy.ast.expr.TupleExpression
import org.codehaus.groovy.ast.expr.VariableExpression
import org.codehaus.groovy.ast.stmt.BlockStatement
import org.codehaus.groovy.ast.stmt.ExpressionStatement
import org.codehaus.groovy.ast.stmt.Statement
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.MultipleCompilationErrorsException
import org.codehaus.groovy.control.Phases
import org.codehaus.groovy.control.SourceUnit
import org.codehaus.groovy.control.messages.SyntaxErrorMessage

/** Findings of one file, in source order. */
class Findings {
    final String file
    final List<Map> items = []

    Findings(String file) { this.file = file }

    void add(ASTNode node, String message) { items << [line: node?.lineNumber ?: 0, text: message] }

    void addAt(int line, int column, String message) { items << [line: line, column: column, text: message] }

    List<String> lines() {
        items.sort { it.line }.collect { "${file}:${it.line}${it.column ? ':' + it.column : ''}: ${it.text}" }
    }
}

/** Finds every call of the named methods on the implicit `this` (steps), at any depth. */
class StepCalls extends CodeVisitorSupport {
    final Set<String> names
    final List<MethodCallExpression> calls = []

    StepCalls(Collection<String> names) { this.names = names as Set }

    @Override
    void visitMethodCallExpression(MethodCallExpression call) {
        if (call.implicitThis && call.methodAsString in names) calls << call
        super.visitMethodCallExpression(call)
    }
}

/** One shell command line of an `sh` step, split into commands and words the way sh would, closely enough. */
class ShellLine {
    /** Stands for a Groovy `${…}` in a GString: a command or path holding it cannot be checked. */
    static final String HOLE = '\u0000'

    /** Commands (lists of unquoted words) split on `&&`, `||`, `;`, `|`, `&` and newlines outside quotes. */
    static List<List<String>> commands(String text) {
        List<List<String>> commands = []
        List<String> words = []
        StringBuilder word = null
        int i = 0
        String s = text.replace('\\\n', ' ')
        Closure endWord = { if (word != null) { words << word.toString(); word = null } }
        Closure endCommand = { endWord(); if (words) { commands << words }; words = [] }
        while (i < s.length()) {
            char c = s.charAt(i)
            if (c == '\'' as char) {
                int end = s.indexOf('\'', i + 1)
                if (end < 0) end = s.length()
                word = (word ?: new StringBuilder()).append(s, i + 1, end)
                i = end + 1
            } else if (c == '"' as char) {
                word = word ?: new StringBuilder()
                i++
                while (i < s.length() && s.charAt(i) != '"' as char) {
                    if (s.charAt(i) == '\\' as char && i + 1 < s.length()) i++
                    word.append(s.charAt(i))
                    i++
                }
                i++
            } else if (c == '#' as char && word == null) {
                while (i < s.length() && s.charAt(i) != '\n' as char) i++
            } else if (c in [';', '|', '&', '\n'].collect { it as char }) {
                endCommand()
                i++
            } else if (Character.isWhitespace(c)) {
                endWord()
                i++
            } else {
                word = (word ?: new StringBuilder()).append(c)
                i++
            }
        }
        endCommand()
        commands
    }
}

/** Checks one parsed Jenkinsfile against the rules in this file's header. */
class PipelineRules {
    static final List<String> SECTIONS = ['agent', 'environment', 'options', 'parameters', 'triggers', 'tools',
        'stages', 'post', 'libraries']
    static final List<String> STAGE_DIRECTIVES = ['agent', 'environment', 'input', 'options', 'post', 'steps', 'stages',
        'parallel', 'matrix', 'tools', 'when', 'failFast']
    static final List<String> STAGE_BODIES = ['steps', 'stages', 'parallel', 'matrix']
    static final List<String> POST_CONDITIONS = ['always', 'changed', 'fixed', 'regression', 'aborted', 'failure',
        'success', 'unstable', 'unsuccessful', 'cleanup']
    static final List<String> COMMANDS = ['npm', 'bash', 'node', 'helm', 'kubectl', 'docker', 'git', 'true']
    static final List<String> NPM_COMMANDS = ['test', 'ci', 'start']
    static final List<String> BINDINGS = ['usernamePassword', 'string', 'file', 'sshUserPrivateKey', 'certificate']
    static final String SECRET_NAME = /(?i)PASSWORD|TOKEN|SECRET|KEY/

    final File root
    final Set<String> npmScripts
    final Findings findings
    final Set<String> stageNames = [] as Set
    int shSteps = 0

    PipelineRules(File root, Set<String> npmScripts, Findings findings) {
        this.root = root
        this.npmScripts = npmScripts
        this.findings = findings
    }

    /** The method name of a call on the implicit `this` (a directive or step), else null. */
    static String nameOf(Statement statement) {
        Expression e = statement instanceof ExpressionStatement ? statement.expression : null
        e instanceof MethodCallExpression && e.implicitThis ? e.methodAsString : null
    }

    static List<Expression> argsOf(MethodCallExpression call) {
        call.arguments instanceof TupleExpression ? call.arguments.expressions : [call.arguments]
    }

    static ClosureExpression closureOf(MethodCallExpression call) {
        List<Expression> args = argsOf(call)
        args && args.last() instanceof ClosureExpression ? args.last() : null
    }

    static List<Statement> statementsOf(ClosureExpression closure) {
        closure.code instanceof BlockStatement ? closure.code.statements : [closure.code]
    }

    /** The directive calls of a block (`name ARGS { … }` lines); anything else is reported and skipped. */
    List<MethodCallExpression> directives(ClosureExpression closure, String where) {
        statementsOf(closure).findResults { Statement statement ->
            if (nameOf(statement)) return statement.expression
            findings.add(statement, "${where} holds a statement that is not a directive")
            null
        }
    }

    void checkScript(BlockStatement script) {
        // Positionless statements are the compiler's own (an empty script still holds one).
        List<Statement> top = script.statements.findAll { it.lineNumber > 0 }
        Statement pipeline = top.find { nameOf(it) == 'pipeline' }
        if (!pipeline) {
            findings.addAt(top ? top[0].lineNumber : 1, 0, 'no pipeline { } block')
            return
        }
        (top - pipeline).each { Statement statement ->
            findings.add(statement, 'a declarative Jenkinsfile holds one top-level statement, pipeline { … }')
        }
        ClosureExpression body = closureOf(pipeline.expression)
        if (!body) {
            findings.add(pipeline, 'pipeline takes a block: pipeline { … }')
            return
        }
        checkPipeline(pipeline.expression, body)
        checkSteps(body)
    }

    void checkPipeline(MethodCallExpression pipeline, ClosureExpression body) {
        Map<String, List<MethodCallExpression>> sections = directives(body, 'pipeline').groupBy { it.methodAsString }
        sections.each { String name, List<MethodCallExpression> calls ->
            if (!(name in SECTIONS)) {
                findings.add(calls[0], "unknown section '${name}' in pipeline (known: ${SECTIONS.join(', ')})")
            } else if (calls.size() > 1) {
                findings.add(calls[1], "section '${name}' appears ${calls.size()} times in pipeline")
            }
        }
        ['agent', 'stages'].each { if (!sections[it]) findings.add(pipeline, "pipeline has no '${it}' section") }
        sections.environment?.each { checkEnvironment(it) }
        sections.post?.each { checkPost(it, 'pipeline') }
        sections.stages?.each { checkStages(it, 'pipeline') }
    }

    /** `stages { … }` or `parallel { … }`: only stage('name') { … }. */
    void checkStages(MethodCallExpression stages, String where) {
        ClosureExpression body = closureOf(stages)
        if (!body) {
            findings.add(stages, "${stages.methodAsString} in ${where} takes a block of stage('name') { … }")
            return
        }
        List<MethodCallExpression> items = directives(body, "${stages.methodAsString} in ${where}")
        if (!items) findings.add(stages, "${stages.methodAsString} in ${where} has no stage")
        items.each { MethodCallExpression item ->
            if (item.methodAsString == 'stage') {
                checkStage(item)
            } else {
                findings.add(item,
                    "only stage('name') { … } belongs in ${stages.methodAsString}, not '${item.methodAsString}'")
            }
        }
    }

    void checkStage(MethodCallExpression stage) {
        List<Expression> args = argsOf(stage)
        ClosureExpression body = closureOf(stage)
        Expression name = args ? args[0] : null
        if (args.size() != 2 || !body || !(name instanceof ConstantExpression) || !(name.value instanceof String)) {
            findings.add(stage, "a stage is stage('name') { … } with a literal name")
            return
        }
        String label = "stage '${name.value}'"
        if (!stageNames.add(name.value)) findings.add(stage, "${label} is named twice (names are unique in a pipeline)")
        Map<String, List<MethodCallExpression>> parts = directives(body, label).groupBy { it.methodAsString }
        parts.each { String directive, List<MethodCallExpression> calls ->
            if (!(directive in STAGE_DIRECTIVES)) {
                findings.add(calls[0],
                    "unknown directive '${directive}' in ${label} (known: ${STAGE_DIRECTIVES.join(', ')})")
            } else if (calls.size() > 1) {
                findings.add(calls[1], "'${directive}' appears ${calls.size()} times in ${label}")
            }
        }
        List<String> bodies = STAGE_BODIES.findAll { parts[it] }
        if (!bodies) findings.add(stage, "${label} has none of ${STAGE_BODIES.join(', ')}")
        if (bodies.size() > 1) {
            findings.add(stage, "${label} has more than one of ${STAGE_BODIES.join(', ')}: ${bodies.join(', ')}")
        }
        parts.steps?.each { MethodCallExpression steps ->
            ClosureExpression block = closureOf(steps)
            if (!block || !statementsOf(block).any { !it.isEmpty() }) findings.add(steps, "${label} has no steps")
        }
        parts.stages?.each { checkStages(it, label) }
        parts.parallel?.each { checkStages(it, label) }
        parts.matrix?.each { checkMatrix(it, label) }
        parts.environment?.each { checkEnvironment(it) }
        parts.post?.each { checkPost(it, label) }
    }

    void checkMatrix(MethodCallExpression matrix, String where) {
        ClosureExpression body = closureOf(matrix)
        List<MethodCallExpression> parts = body ? directives(body, "matrix in ${where}") : []
        List<MethodCallExpression> stages = parts.findAll { it.methodAsString == 'stages' }
        if (!stages) findings.add(matrix, "matrix in ${where} has no stages")
        stages.each { checkStages(it, "matrix in ${where}") }
    }

    void checkPost(MethodCallExpression post, String where) {
        ClosureExpression body = closureOf(post)
        if (!body) {
            findings.add(post, "post in ${where} takes a block of conditions")
            return
        }
        directives(body, "post in ${where}").each { MethodCallExpression condition ->
            if (!(condition.methodAsString in POST_CONDITIONS)) {
                findings.add(condition, "unknown post condition '${condition.methodAsString}' in ${where}" +
                    " (known: ${POST_CONDITIONS.join(', ')})")
            }
        }
    }

    /** `NAME = value` lines; a secret-like NAME takes credentials('id') only. */
    void checkEnvironment(MethodCallExpression environment) {
        ClosureExpression body = closureOf(environment)
        if (!body) return
        statementsOf(body).each { Statement statement ->
            Expression e = statement instanceof ExpressionStatement ? statement.expression : null
            boolean assignment = e instanceof BinaryExpression && e.operation.text == '=' &&
                e.leftExpression instanceof VariableExpression
            if (!assignment) {
                findings.add(statement, 'environment holds only NAME = value lines')
                return
            }
            String name = e.leftExpression.name
            Expression value = e.rightExpression
            if (name =~ SECRET_NAME && (value instanceof ConstantExpression || value instanceof GStringExpression)) {
                findings.add(statement,
                    "environment ${name} looks like a secret but is a literal: take it from credentials('id')")
            }
        }
    }

    /** Every sh and withCredentials step anywhere in the pipeline. */
    void checkSteps(ClosureExpression pipeline) {
        StepCalls steps = new StepCalls(['sh', 'withCredentials'])
        pipeline.visit(steps)
        steps.calls.each { it.methodAsString == 'sh' ? checkSh(it) : checkBindings(it) }
    }

    void checkBindings(MethodCallExpression call) {
        List<Expression> args = argsOf(call)
        if (!args || !(args[0] instanceof ListExpression)) {
            findings.add(call, 'withCredentials takes a list of bindings: withCredentials([string(…), …]) { … }')
            return
        }
        args[0].expressions.each { Expression binding ->
            String kind = binding instanceof MethodCallExpression ? binding.methodAsString : null
            if (!(kind in BINDINGS)) {
                findings.add(binding,
                    "withCredentials binding '${kind ?: binding.text}' is not one of ${BINDINGS.join(', ')}")
            }
        }
    }

    /** The script of an sh step, each `${…}` of a GString replaced by ShellLine.HOLE; null when not a literal. */
    static String shText(MethodCallExpression call) {
        List<Expression> args = argsOf(call)
        Expression script = args.size() == 1 ? args[0] : null
        if (script instanceof MapExpression) {
            script = script.mapEntryExpressions.find { it.keyExpression.text == 'script' }?.valueExpression
        }
        if (script instanceof ConstantExpression && script.value instanceof String) return script.value
        if (script instanceof GStringExpression) {
            StringBuilder text = new StringBuilder()
            script.strings.eachWithIndex { ConstantExpression part, int i ->
                text.append(part.value)
                if (i < script.values.size()) text.append(ShellLine.HOLE)
            }
            return text.toString()
        }
        null
    }

    void checkSh(MethodCallExpression call) {
        shSteps++
        String text = shText(call)
        if (text == null) {
            findings.add(call, 'sh step whose script is not a string literal: the checker cannot see what it runs')
            return
        }
        if (text =~ /docker\s+login\b[^\n;&|]*\s(-p|--password)(\s|=)/) {
            findings.add(call, 'docker login with a password on the command line: ' +
                'pass it with --password-stdin from a withCredentials binding')
        }
        ShellLine.commands(text).each { List<String> words -> checkCommand(call, words) }
    }

    void checkCommand(MethodCallExpression call, List<String> command) {
        List<String> words = command.dropWhile { it =~ /^[A-Za-z_][A-Za-z0-9_]*=/ }
        if (!words || words[0] == 'cd') return
        String program = words[0]
        if (program.contains(ShellLine.HOLE)) {
            findings.add(call, 'sh command built from a Groovy ${…}: name the command literally')
            return
        }
        if (!(program in COMMANDS)) {
            findings.add(call, "sh runs '${program}', which is not an allowed command (${COMMANDS.join(', ')})")
            return
        }
        List<String> args = words.drop(1)
        String first = args.find { !it.startsWith('-') }
        switch (program) {
            case 'bash':
            case 'node':
                if (args.takeWhile { it.startsWith('-') }.any { it in ['-c', '-e', '-p', '--eval', '--print'] }) {
                    findings.add(call, "${program} runs inline code: put it in a file of the repo")
                } else {
                    checkRepoFile(call, program, first)
                }
                break
            case 'npm':
                checkNpm(call, args.findAll { !it.startsWith('-') })
                break
        }
    }

    void checkRepoFile(MethodCallExpression call, String program, String path) {
        if (path == null) {
            findings.add(call, "${program} without a script file")
        } else if (path.contains(ShellLine.HOLE)) {
            findings.add(call, "${program} script path built from a Groovy \${…}: name the file literally")
        } else if (path.startsWith('/') || !new File(root, path).isFile()) {
            findings.add(call, "${program} ${path}: no such file in the repo")
        }
    }

    void checkNpm(MethodCallExpression call, List<String> args) {
        String command = args ? args[0] : null
        if (command in ['run', 'run-script']) {
            String script = args.size() > 1 ? args[1] : null
            if (script == null) {
                findings.add(call, 'npm run without a script name')
            } else if (script.contains(ShellLine.HOLE)) {
                findings.add(call, 'npm run script name built from a Groovy ${…}: name the script literally')
            } else if (!(script in npmScripts)) {
                findings.add(call, "npm run ${script}: package.json has no script '${script}'")
            }
        } else if (!(command in NPM_COMMANDS)) {
            findings.add(call, "npm ${command ?: ''}: not one of npm ${NPM_COMMANDS.join(', ')}, npm run <script>")
        }
    }
}

/** Parses one file and applies the rules; returns its findings (and the counts for the OK line). */
Map checkFile(String path, File root, Set<String> npmScripts) {
    Findings findings = new Findings(path)
    CompilationUnit unit = new CompilationUnit()
    SourceUnit source = unit.addSource(new File(path))
    try {
        unit.compile(Phases.CONVERSION)
    } catch (MultipleCompilationErrorsException e) {
        e.errorCollector.errors.each { message ->
            if (message instanceof SyntaxErrorMessage) {
                findings.addAt(message.cause.line, message.cause.startColumn,
                    "syntax error: ${message.cause.originalMessage}")
            } else {
                findings.addAt(0, 0, "cannot parse: ${message}")
            }
        }
        return [findings: findings, stages: 0, sh: 0]
    }
    PipelineRules rules = new PipelineRules(root, npmScripts, findings)
    rules.checkScript(source.AST.statementBlock)
    [findings: findings, stages: rules.stageNames.size(), sh: rules.shSteps]
}

List<String> argv = args as List
File root = new File('.').canonicalFile
if (argv && argv[0] == '--root') {
    if (argv.size() < 2) {
        System.err.println('usage: jenkinsfile-check.groovy [--root DIR] FILE...')
        System.exit(2)
    }
    root = new File(argv[1]).canonicalFile
    argv = argv.drop(2)
}
if (!argv) {
    System.err.println('usage: jenkinsfile-check.groovy [--root DIR] FILE...')
    System.exit(2)
}
File packageJson = new File(root, 'package.json')
Map<String, Object> scripts = packageJson.isFile() ? new JsonSlurper().parse(packageJson).scripts ?: [:] : [:]
Set<String> npmScripts = scripts.keySet()

int failed = 0
argv.each { String path ->
    if (!new File(path).isFile()) {
        System.err.println("${path}: no such file")
        failed++
        return
    }
    Map result = checkFile(path, root, npmScripts)
    List<String> lines = result.findings.lines()
    if (lines) {
        lines.each { System.err.println(it) }
        failed++
    } else {
        println "${path}: OK (${result.stages} stages, ${result.sh} sh steps checked)"
    }
}
if (failed) {
    System.err.println("jenkinsfile-check: ${failed} of ${argv.size()} file(s) failed")
    System.exit(1)
}
