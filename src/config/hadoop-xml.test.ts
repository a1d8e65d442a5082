import { describe, expect, it } from 'vitest';
import { parseHadoopXml } from './hadoop-xml.js';

describe('parseHadoopXml', () => {
  it('reads names and values (elements or attributes), decoding entities and CDATA, skipping comments', () => {
    const { entries, problems } = parseHadoopXml(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml-stylesheet type="text/xsl" href="configuration.xsl"?>',
        '<!-- <property><name>commented</name><value>out</value></property> -->',
        '<configuration>',
        '  <property>',
        '    <name> fs.oss.endpoint </name>',
        '    <value>a&amp;b&#x41;</value>',
        '  </property>',
        '  <property name="fs.oss.accessKeyId" value="id"/>',
        '  <property><name>fs.oss.proxy.host</name><value><![CDATA[<host>]]></value></property>',
        '  <property><name>fs.oss.proxy.port</name><value></value></property>',
        '</configuration>',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(entries).toEqual([
      { key: 'fs.oss.endpoint', value: 'a&bA', line: 5 },
      { key: 'fs.oss.accessKeyId', value: 'id', line: 9 },
      { key: 'fs.oss.proxy.host', value: '<host>', line: 10 },
    ]);
  });

  it('lets a later definition win unless the earlier one is final', () => {
    const { entries, problems } = parseHadoopXml(
      '<configuration>\n' +
        '<property><name>a</name><value>1</value></property>\n' +
        '<property><name>a</name><value>2</value></property>\n' +
        '<property><name>b</name><value>1</value><final>true</final></property>\n' +
        '<property><name>b</name><value>2</value></property>\n' +
        '</configuration>',
    );
    expect(entries).toEqual([
      { key: 'a', value: '2', line: 3 },
      { key: 'b', value: '1', line: 4 },
    ]);
    expect(problems).toEqual([
      { line: 5, message: "'b' is final at line 4; Hadoop keeps that value and ignores this one" },
    ]);
  });

  it('uses nothing of a file whose top element is not <configuration>', () => {
    const { entries, problems } = parseHadoopXml(
      '<conf>\n<property><name>a</name><value>1</value></property></conf>',
    );
    expect(entries).toEqual([]);
    expect(problems[0]).toMatchObject({
      line: 1,
      message: expect.stringContaining('Hadoop reads only <configuration>'),
    });
  });

  it('keeps what precedes a fault, and names the line of the fault', () => {
    const { entries, problems } = parseHadoopXml(
      '<configuration>\n<property><name>a</name><value>1</value></property>\n<property><name>b</name>\n',
    );
    expect(entries).toEqual([{ key: 'a', value: '1', line: 2 }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain('the file ends inside <property>');
  });
});
